"""Paging through the job store's changes: short reads, nothing missed, nothing stale."""

from __future__ import annotations

from pathlib import Path

from hma_gui.core.jobs.store import START, JobState, JobStore, NewJob


def new(n: int) -> NewJob:
    return NewJob(source=f"/d/mba/f{n}.csv", size=n, scope="mba", bucket="b", key=f"mba/f{n}.csv")


def read_all(
    store: JobStore, cursor: tuple[int, int], limit: int
) -> tuple[dict[int, str], tuple[int, int], int]:
    seen: dict[int, str] = {}
    pages = 0
    while True:
        jobs, cursor, more = store.changed_page(cursor, limit)
        pages += 1
        assert len(jobs) <= limit
        seen.update({job.id: job.state.value for job in jobs})
        if not more:
            return seen, cursor, pages


def test_pages_cover_every_job_once_and_then_only_what_changed(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        batch = store.new_batch()
        store.enqueue([new(n) for n in range(25)], batch)
        seen, cursor, pages = read_all(store, START, 10)
        assert len(seen) == 25 and pages == 3
        assert store.changed_page(cursor, 10) == ([], cursor, False)

        claimed = store.claim(3)
        store.mark_done(claimed[0].id, etag="e", md5="m")
        store.enqueue([new(100)], batch)
        changed, cursor, _ = read_all(store, cursor, 2)
        assert changed == {
            claimed[0].id: JobState.DONE.value,
            claimed[1].id: JobState.RUNNING.value,
            claimed[2].id: JobState.RUNNING.value,
            max(changed): JobState.QUEUED.value,
        }


def test_a_job_changed_while_paging_comes_again_with_its_new_state(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue([new(n) for n in range(6)], store.new_batch())
        first, cursor, more = store.changed_page(START, 3)
        assert more
        store.mark_failed(first[0].id, "boom", retryable=True)  # already read: changes again
        rest, cursor, more = store.changed_page(cursor, 10)
        assert not more
        assert [j.id for j in rest][-1] == first[0].id
        assert rest[-1].state is JobState.FAILED
