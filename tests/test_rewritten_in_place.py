"""A file rewritten in place with its size and mtime kept (cp -p, rsync -t --inplace).

Only its ctime moves. The hash cache must not answer with the old MD5: neither to
the uploader (stat results) nor to the duplicate check (the walk's tuples).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.duplicates.local import LocalDuplicateFinder
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import walk_files
from hma_gui.core.hashes.hash_cache import CACHE_FILE, HashCache
from hma_gui.core.jobs.store import JobStore, NewJob
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.dupes_trees import md5hex
from tests.file_clock import rewrite_keeping_size_and_mtime, settle


def test_the_cache_misses_after_an_in_place_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"version one\n")
    settle()  # the written entry is what a later run meets (`change_clock`)
    info = path.stat()
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, info, md5hex(b"version one\n"))
        assert cache.lookup(path, path.stat()) == md5hex(b"version one\n")
        assert cache.lookup_files([walk_tuple(path)])[str(path)][1] == md5hex(b"version one\n")
        rewrite_keeping_size_and_mtime(path, b"version two\n")
        assert cache.lookup(path, path.stat()) is None
        assert cache.lookup_files([walk_tuple(path)]) == {}


def walk_tuple(path: Path) -> tuple[str, int, int, int, int, int]:
    """The file as the walker sees it now."""
    [walked] = walk_files([str(path)], FileFilter.build()).files
    return walked


def test_a_rewrite_after_the_walk_is_hashed_again_at_the_next_scan(tmp_path: Path) -> None:
    """The hash is stored under the walk's ctime, not the file's ctime when it is stored."""
    folder = tmp_path / "tree"
    folder.mkdir()
    one, two = folder / "a.csv", folder / "b.csv"
    one.write_bytes(b"same bytes\n")
    two.write_bytes(b"same bytes\n")
    walked = walk_files([str(folder)], FileFilter.build()).files
    rewrite_keeping_size_and_mtime(two, b"other byte\n")  # after the walk, before hashing
    with HashCache(tmp_path / "c.db") as cache:
        LocalDuplicateFinder(cache=cache).find(walked)  # hashes b's new bytes, walk's ctime
        finder = LocalDuplicateFinder(cache=cache)
        groups = finder.find(walk_files([str(folder)], FileFilter.build()).files).groups
    assert groups == []  # a cache that trusted the stored hash would still say twins


def test_an_old_cache_file_is_rebuilt_with_the_new_schema(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "c.db"
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE hashes (path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
            " mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, head TEXT, md5 TEXT,"
            " updated_at REAL NOT NULL) WITHOUT ROWID"
        )
        conn.execute("INSERT INTO hashes VALUES ('/x', 1, 1, 1, NULL, 'm', 0)")
        conn.execute("PRAGMA user_version = 1")
    path = tmp_path / "f.csv"
    path.write_bytes(b"abc")
    with HashCache(db) as cache:
        assert cache.count() == 0
        cache.store(path, path.stat(), md5hex(b"abc"))
        assert cache.lookup(path, path.stat()) == md5hex(b"abc")


@pytest.mark.integration
def test_an_in_place_rewrite_is_uploaded_with_its_new_bytes_and_md5(
    s3_env: S3Env, tmp_path: Path
) -> None:
    folder = tmp_path / "mba"
    folder.mkdir()
    path = folder / "data.csv"
    rows = 9 * 1024 * 1024 // 8  # above the in-memory size: streamed, with the cache's MD5
    path.write_bytes(b"a,b\n1,2\n" * rows)
    settle()  # so the first upload writes the file's MD5 to the hash cache
    first = run_cli("upload", str(folder), "--json")
    assert first.code == 0, first.err
    assert (app_dirs.data_dir() / CACHE_FILE).exists()
    new = b"a,b\n3,4\n" * rows
    # no pause: a rewrite in the same tick of the kernel's clock as the upload's end is
    # caught too (`change_clock`; CI on 0acadb7 failed here before, without one)
    rewrite_keeping_size_and_mtime(path, new)
    again = run_cli("upload", str(folder), "--json", "--on-duplicate", "overwrite")
    assert again.code == 0, again.err
    [job] = json.loads(again.out)["jobs"]
    assert job["state"] == "done", job
    assert job["md5"] == md5hex(new)
    assert s3_env.read(s3_env.mba_bucket, "mba/csv/data.csv") == new
    head = s3_env.head(s3_env.mba_bucket, "mba/csv/data.csv")
    assert head["Metadata"] == {"md5": md5hex(new)}  # type: ignore[comparison-overlap]


@pytest.mark.integration
def test_a_watched_file_rewritten_in_place_is_uploaded_again(s3_env: S3Env, tmp_path: Path) -> None:
    from tests.watch_harness import WatchSession, wait_until

    folder = tmp_path / "mba"
    folder.mkdir()
    path = folder / "w.csv"
    path.write_bytes(b"watched v1\n")
    with WatchSession(folder, tmp_path / "jobs.db", settle=0.3) as session:
        session.wait_done(1)
        time.sleep(0.05)
        rewrite_keeping_size_and_mtime(path, b"watched v2\n")
        session.wait_done(2)
    wait_until(lambda: s3_env.read(s3_env.mba_bucket, "mba/csv/w.csv") == b"watched v2\n", 10)
    # restarted with the file untouched since: nothing more is uploaded
    with WatchSession(folder, tmp_path / "jobs.db", settle=0.3) as session:
        time.sleep(1.5)
        assert session.store.counters(session.batch).total == 0


@pytest.mark.integration
def test_a_watched_file_rewritten_during_its_upload_is_uploaded_again(
    s3_env: S3Env, tmp_path: Path
) -> None:
    """The watcher counts a file as unchanged since its upload only when its ctime lies a
    clock grain before the upload *began*. A rewrite that keeps size and mtime after the
    upload's last look at the file, before its end was recorded, is older than the
    ledger's row, yet the bytes sent were the old ones."""
    from tests.watch_harness import WatchSession, wait_until

    folder = tmp_path / "mba"
    folder.mkdir()
    path = folder / "w.csv"
    old, new = b"watched v1\n", b"watched v2\n"
    path.write_bytes(old)
    settle()  # an old file: only the rewrite during the upload is new
    key = "mba/csv/w.csv"
    with JobStore(tmp_path / "jobs.db") as store:  # an upload, as a runner records it
        batch = store.new_batch("earlier upload")
        info = path.stat()
        store.enqueue(
            [NewJob(source=str(path), root=str(folder), size=info.st_size,
                    mtime_ns=info.st_mtime_ns, scope="mba", bucket=s3_env.mba_bucket, key=key)],
            batch,
        )  # fmt: skip
        [claimed] = store.claim(1, batch)
        etag = s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=old)["ETag"]
        rewrite_keeping_size_and_mtime(path, new)  # after the upload's last look
        store.mark_done(claimed.id, etag=etag, md5=md5hex(old), size=info.st_size,
                        mtime_ns=info.st_mtime_ns)  # fmt: skip
        record = store.uploaded_record(s3_env.mba_bucket, key)
    assert record is not None and record.read_at == claimed.started_at
    assert path.stat().st_ctime_ns < record.uploaded_at * 1e9  # older than the row
    with WatchSession(folder, tmp_path / "jobs.db", settle=0.3) as session:
        session.wait_done(1)
    wait_until(lambda: s3_env.read(s3_env.mba_bucket, key) == new, 10)
