"""Makes ``jobs-v1-waiting.db``: a job store as schema 1 wrote it, with files waiting.

Run it with a checkout of the code that wrote schema 1 (``main`` at 8a810e3, the
commit before waiting became a job state), e.g.::

    git worktree add /tmp/v1 8a810e3
    cd /tmp/v1 && python /path/to/tests/data/make_v1_store.py /path/to/tests/data

Schema 1 kept "waiting for a decision" as a skipped job with this error text,
and decisions as free text; the migration test opens the file with today's code.
"""

from __future__ import annotations

import sys
from pathlib import Path

from hma_gui.core.jobs.store import JobState, JobStore, NewJob

WAITING = "waiting for your duplicate decision (Duplicates tab: Review duplicates…)"


def main(folder: Path) -> None:
    path = folder / "jobs-v1-waiting.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    import hma_gui

    print("written by", hma_gui.__file__)
    with JobStore(path) as store:
        drop = store.new_batch("drop: export")

        def job(name: str, key: str | None = None, **kw: object) -> NewJob:
            return NewJob(
                f"/data/mba/csv/{name}", 100 + len(name), scope="mba", bucket="hma-mba",
                key=key or f"mba/csv/{name}", **kw,  # type: ignore[arg-type]
            )  # fmt: skip

        store.enqueue(
            [
                job("waiting-a.csv", state=JobState.SKIPPED, error=WAITING),
                job("waiting-b.csv", state=JobState.SKIPPED, error=WAITING),
                job("same.csv", state=JobState.SKIPPED, error="already in S3: …", decision="skip"),
                job("queued.csv"),
                job("conflict.csv", key="mba/csv/conflict__2.csv", decision="keep-both"),
                job("over.csv", decision="overwrite"),
                job("failed.csv"),
                job("done.csv"),
            ],
            drop,
        )
        by_name = {Path(j.source).name: j for j in store.jobs()}
        store.mark_failed(by_name["failed.csv"].id, "cannot reach the endpoint", retryable=True)
        [claimed] = [j for j in store.claim(10) if j.source.endswith("done.csv")] or [None]
        assert claimed is not None
        store.mark_done(claimed.id, etag='"abc"', md5="abc")
        store.release(j.id for j in store.jobs(state=JobState.RUNNING))
    print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
