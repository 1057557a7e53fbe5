"""Service-mode benchmark (issue 14): jobs/s and client CPU per job, SQS vs local.

The same files go through each backend: produce (plan + send) and one worker
process draining the queue with 4 threads, against one local moto server (S3 and
SQS on one endpoint, its own process). Reported, as medians of the runs: worker
jobs/s, and the client's CPU per job (this process's user+sys during produce and
work: the benchmark runs them in-process, so interpreter start-up is excluded and
moto's CPU is not counted). The SQS extra is the difference to local.
Target: <= 0.5 ms extra client CPU per job.

    .venv/bin/python bench/queue_bench.py [--jobs 300] [--runs 3] [--no-write]

moto's SQS slows as a queue grows: keep --jobs near a few hundred.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results_file import replace_section
from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.queue.factory import open_queue
from hma_gui.core.queue.producer import messages_for
from hma_gui.core.queue.sqs_setup import init_queues, make_sqs_client
from hma_gui.core.queue.upload_job import DeliveryCheck
from hma_gui.core.queue.worker import QueueWorker, WorkerOptions
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.uploader import Uploader
from tests.conftest import start_moto_server, stop_moto_server

SECTION = "## Service mode: SQS vs local queue"
TARGET_EXTRA_MS = 0.5


def make_files(root: Path, count: int) -> None:
    folder = root / "mba" / "csv"
    folder.mkdir(parents=True)
    for n in range(count):
        (folder / f"f{n:05d}.csv").write_bytes((f"{n},".encode() * 512)[:1024])


def one_run(backend: str, data: Path, workdir: Path, jobs: int) -> dict[str, float]:
    suffix = uuid.uuid4().hex[:8]
    bucket = f"bench-{suffix}"
    os.environ["HMA_MBA_BUCKET"] = bucket
    settings = load_settings()
    s3 = make_s3_client(settings)
    s3.create_bucket(Bucket=bucket)
    url = "local"
    if backend == "sqs":
        name = f"bench-{suffix}"
        init_queues(make_sqs_client(settings), name, lease_seconds=60, max_receives=5)
        url = f"sqs://{name}"
    store = JobStore(workdir / f"jobs-{suffix}.db")
    queue = open_queue(settings, store=lambda: store, s3_client=lambda: s3, url=url)
    planned = plan([data], settings, PlanOptions.from_settings(settings, scope="mba"))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    queue.send(messages_for(planned.jobs))
    cpu1, wall1 = time.process_time(), time.perf_counter()
    worker = QueueWorker(
        queue,
        Uploader.for_settings(settings, s3),
        DeliveryCheck(s3, sse=settings.sse),
        WorkerOptions(concurrency=4, drain=True, wait_seconds=1.0, lease_seconds=60),
    )
    report = worker.run()
    cpu2, wall2 = time.process_time(), time.perf_counter()
    queue.close()
    store.close()
    if report.uploaded != jobs:
        raise SystemExit(f"{backend}: {report.uploaded} of {jobs} uploaded: {report}")
    return {
        "send_ms_per_job": (cpu1 - cpu0) * 1000 / jobs,
        "work_ms_per_job": (cpu2 - cpu1) * 1000 / jobs,
        "cpu_ms_per_job": (cpu2 - cpu0) * 1000 / jobs,
        "jobs_per_s": jobs / (wall2 - wall1),
        "send_s": wall1 - wall0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    server = start_moto_server()
    credentials = "bench"  # a local moto server accepts any
    os.environ.update(
        AWS_ACCESS_KEY_ID=credentials,
        AWS_SECRET_ACCESS_KEY=credentials,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=server.endpoint,
        HMA_S3_ENDPOINT_URL=server.endpoint,
    )
    started = time.time()
    results: dict[str, list[dict[str, float]]] = {"local": [], "sqs": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["HMA_CONFIG_DIR"] = f"{tmp}/config"
            os.environ["HMA_DATA_DIR"] = f"{tmp}/data-dir"
            data = Path(tmp) / "data"
            make_files(data, args.jobs)
            for _ in range(args.runs):
                for backend in ("local", "sqs"):
                    results[backend].append(one_run(backend, data, Path(tmp), args.jobs))
                    server.reset()
    finally:
        stop_moto_server(server)
    medians = {
        backend: {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        for backend, runs in results.items()
    }
    extra = medians["sqs"]["cpu_ms_per_job"] - medians["local"]["cpu_ms_per_job"]
    lines = [
        SECTION,
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{time.time() - started:.0f} s in all.",
        f"Command: `.venv/bin/python bench/queue_bench.py --jobs {args.jobs} --runs {args.runs}`"
        f" (medians of {args.runs} runs; {args.jobs} files of 1 KiB; one worker, 4 threads; "
        "moto's S3 and SQS on one local server).",
        "",
        "Client CPU is this process's user+sys while sending and working (in-process: no "
        "interpreter start-up; moto's CPU, on the same cores, is not counted). Worker jobs/s "
        "runs to the end of the drain, so it includes the ~1 s a draining worker waits on an "
        "empty queue before it stops.",
        "",
        "| backend | worker jobs/s | client CPU ms/job | of it: send | of it: work |",
        "|---|---|---|---|---|",
    ]
    for backend, m in medians.items():
        lines.append(
            f"| {backend} | {m['jobs_per_s']:.1f} | {m['cpu_ms_per_job']:.2f} | "
            f"{m['send_ms_per_job']:.2f} | {m['work_ms_per_job']:.2f} |"
        )
    verdict = "met" if extra <= TARGET_EXTRA_MS else "SHORT"
    lines += [
        "",
        f"- {verdict}: SQS costs {extra:+.2f} ms client CPU per job over local "
        f"(target <= {TARGET_EXTRA_MS} ms)",
    ]
    print("\n".join(lines))
    if not args.no_write:
        replace_section(SECTION, lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
