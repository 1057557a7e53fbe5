"""The workers of one ``hma-ingest worker`` process (``--kinds upload,etl``), run side by side."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class WorkerRun:
    """One kind of worker: its `run()`, and what prints its summary and gives the exit code."""

    worker: Any  # QueueWorker or EtlQueueWorker: run, stop, cancel, stopping
    finish: Callable[[Any], int]  # the report → the exit code


def run_all(runs: list[WorkerRun]) -> list[int]:
    """Run the workers (the first here, the others on threads); their exit codes."""
    reports: list[Any] = [None] * len(runs)

    def work(index: int) -> None:
        reports[index] = runs[index].worker.run()

    threads = [
        threading.Thread(target=work, args=(n,), name=f"worker-{n}") for n in range(1, len(runs))
    ]
    for thread in threads:
        thread.start()
    try:
        work(0)
    except BaseException:
        for run in runs[1:]:  # the others must not outlive this one's crash
            run.worker.stop("another worker of this process failed")
        raise
    finally:
        for thread in threads:
            while thread.is_alive():  # joined in slices: signals still reach this thread
                thread.join(0.2)
    return [run.finish(report) for run, report in zip(runs, reports, strict=True)]
