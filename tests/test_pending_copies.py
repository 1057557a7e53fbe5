"""Copies of files still in the queue are skipped (the `skip` policy's rule for copies)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hma_gui.core.duplicates.pending_copies import skip_pending_copies
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.store import Decision, JobState, JobStore, NewJob


def new_job(path: Path, key: str, bucket: str = "b") -> NewJob:
    return NewJob(str(path), path.stat().st_size, bucket=bucket, key=key)


def twins(folder: Path) -> tuple[Path, Path]:
    """a.csv and b.csv with the same bytes: an original and its copy."""
    original, copy = folder / "a.csv", folder / "b.csv"
    for path in (original, copy):
        path.write_bytes(b"same bytes\n")
    return original, copy


def test_a_copy_of_a_queued_file_is_skipped_and_names_its_original(tmp_path: Path) -> None:
    original, copy, other = (tmp_path / n for n in ("members.csv", "members-2.csv", "x.csv"))
    original.write_bytes(b"id,name\n1,Ann\n")
    copy.write_bytes(b"id,name\n1,Ann\n")
    other.write_bytes(b"id,name\n2,Bob\n")  # same size, other content
    with JobStore(tmp_path / "jobs.db") as store, HashCache(tmp_path / "h.db") as cache:
        store.enqueue([new_job(original, "mba/csv/members.csv")])
        jobs = [new_job(copy, "mba/csv/members-2.csv"), new_job(other, "mba/csv/x.csv")]

        result = skip_pending_copies(jobs, store, cache=cache)

        assert [j.state for j in result] == [JobState.SKIPPED, JobState.QUEUED]
        assert result[0].decision is Decision.SKIP
        assert result[0].error == (
            f"same content as {original}, on its way to s3://b/mba/csv/members.csv"
        )
        assert result[0].md5 is not None
        assert cache.lookup(copy, copy.stat()) == result[0].md5  # the uploader reuses it


def test_only_pending_jobs_of_the_same_bucket_count(tmp_path: Path) -> None:
    original, copy = twins(tmp_path)
    with JobStore(tmp_path / "jobs.db") as store:
        [(done_id, _)] = store.enqueue([new_job(original, "k/a.csv")])
        store.enqueue([new_job(original, "k/a.csv", bucket="other")])
        store.claim(1)
        store.mark_done(done_id, etag="e", md5="m")  # landed: the S3 check's business now

        result = skip_pending_copies([new_job(copy, "k/b.csv")], store)

    assert [j.state for j in result] == [JobState.QUEUED]


def test_a_running_original_counts_and_the_file_itself_does_not(tmp_path: Path) -> None:
    original, copy = twins(tmp_path)
    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue([new_job(original, "k/a.csv")])
        store.claim(1)  # uploading now

        again = skip_pending_copies([new_job(original, "k/a-again.csv")], store)
        copied = skip_pending_copies([new_job(copy, "k/b.csv")], store)

    assert [j.state for j in again] == [JobState.QUEUED]  # not a copy of itself
    assert [j.state for j in copied] == [JobState.SKIPPED]


def test_the_original_changed_since_it_was_queued_is_compared_as_it_is_now(
    tmp_path: Path,
) -> None:
    original, copy = tmp_path / "a.csv", tmp_path / "b.csv"
    original.write_bytes(b"version 1\n")
    copy.write_bytes(b"version 1\n")
    with JobStore(tmp_path / "jobs.db") as store:
        queued_md5 = hashlib.md5(b"version 1\n", usedforsecurity=False).hexdigest()
        store.enqueue([NewJob(str(original), 10, bucket="b", key="k/a.csv", md5=queued_md5)])
        original.write_bytes(b"version 2\n")  # same size, other content: the upload sends this

        result = skip_pending_copies([new_job(copy, "k/b.csv")], store)

    assert [j.state for j in result] == [JobState.QUEUED]


def test_an_unreadable_or_vanished_file_is_left_to_the_upload(tmp_path: Path) -> None:
    original, copy = twins(tmp_path)
    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue([new_job(original, "k/a.csv")])
        job = new_job(copy, "k/b.csv")
        original.unlink()  # the original vanished: nothing to compare with

        result = skip_pending_copies([job], store)

    assert [j.state for j in result] == [JobState.QUEUED]


def test_a_queued_original_counts_only_where_this_process_uploads_it(tmp_path: Path) -> None:
    original, copy = twins(tmp_path)
    with JobStore(tmp_path / "jobs.db") as store:
        theirs, mine = store.new_batch("the app's"), store.new_batch("watch")
        store.enqueue([new_job(original, "k/a.csv")], theirs)  # queued for another process
        job = new_job(copy, "k/b.csv")

        watching = skip_pending_copies([job], store, batch_id=mine)
        everything = skip_pending_copies([job], store)  # this process uploads every batch
        store.claim(1)  # the other process starts uploading it
        running = skip_pending_copies([job], store, batch_id=mine)

    assert [j.state for j in watching] == [JobState.QUEUED]
    assert [j.state for j in everything] == [JobState.SKIPPED]
    assert [j.state for j in running] == [JobState.SKIPPED]


def test_many_sizes_are_asked_in_several_queries(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue(
            [NewJob(f"/d/{n}.csv", n, bucket="b", key=f"k/{n}.csv") for n in range(1, 3001)]
        )
        [running] = store.claim(1)

        found = store.pending_of_sizes("b", range(1, 3001))
        within_a_batch = store.pending_of_sizes("b", range(1, 3001), batch_id=99)

    assert [j.size for j in found] == list(range(1, 3001))  # all 3,000, in job order
    assert [j.id for j in within_a_batch] == [running.id]  # only the running one counts
