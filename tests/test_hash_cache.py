"""The hash cache: identity-keyed, persistent, clearable, thread-safe, and used by the uploader."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.files.file_filter import FileFilter
from hma_gui.core.files.file_walk import walk_files
from hma_gui.core.hashes.file_identity import CachedHashes, FileIdentity, HashRecord
from hma_gui.core.hashes.hash_cache import HashCache, default_cache_path
from tests.dupes_trees import md5hex
from tests.file_clock import settle


def test_lookup_needs_the_same_size_mtime_and_inode(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"abc")
    settle()  # written, not only held for this process (`change_clock`)
    info = path.stat()
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, info, "0" * 32)
        assert cache.lookup(path, info) == "0" * 32
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 1))
        assert cache.lookup(path, path.stat()) is None
        replaced = tmp_path / "new.csv"
        replaced.write_bytes(b"abc")
        os.utime(replaced, ns=(info.st_atime_ns, info.st_mtime_ns))
        replaced.replace(path)  # same size and mtime, another inode
        assert path.stat().st_mtime_ns == info.st_mtime_ns
        assert cache.lookup(path, path.stat()) is None


def test_single_stores_are_batched_seen_at_once_and_kept_on_close(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"abc")
    settle()
    info = path.stat()
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, info, "1" * 32)
        with HashCache(tmp_path / "c.db") as other:  # another process, in effect
            assert other.lookup(path, info) is None  # not written yet: one write per batch
        assert cache.lookup(path, info) == "1" * 32  # but this instance knows it
    with HashCache(tmp_path / "c.db") as cache:
        assert cache.lookup(path, info) == "1" * 32  # written on close


def test_entries_survive_a_restart_and_clear_forgets_them(tmp_path: Path) -> None:
    identity = FileIdentity("/data/x.csv", 10, 123, 7)
    with HashCache(tmp_path / "c.db") as cache:
        cache.store_many([HashRecord(identity, head="1" * 32, md5="2" * 32)])
        cache.store_etags(identity, {5 * 1024 * 1024: "abc-2"})
    with HashCache(tmp_path / "c.db") as cache:
        hit = cache.lookup_many([identity])[identity.path]
        assert (hit.head, hit.md5) == ("1" * 32, "2" * 32)
        assert cache.lookup_etag(identity, 5 * 1024 * 1024) == "abc-2"
        assert cache.clear() == 1
        assert cache.lookup_many([identity]) == {}
        assert cache.lookup_etag(identity, 5 * 1024 * 1024) is None


def test_a_partial_record_keeps_what_is_known_unless_the_file_changed(tmp_path: Path) -> None:
    same = FileIdentity("/d/a", 10, 1, 1)
    with HashCache(tmp_path / "c.db") as cache:
        cache.store_many([HashRecord(same, head="h" * 32)])
        cache.store_many([HashRecord(same, md5="m" * 32)])
        hit = cache.lookup_many([same])["/d/a"]
        assert (hit.head, hit.md5) == ("h" * 32, "m" * 32)
        changed = FileIdentity("/d/a", 10, 2, 1)
        cache.store_many([HashRecord(changed, md5="n" * 32)])
        hit = cache.lookup_many([changed])["/d/a"]
        assert (hit.head, hit.md5) == (None, "n" * 32)


def test_bulk_lookup_by_folder_range_and_by_key_agree(tmp_path: Path) -> None:
    files = [FileIdentity(f"/d/sub{n % 7}/f{n}", n, n, n) for n in range(2500)]
    neighbours = [FileIdentity(f"/d-other/f{n}", n, n, n) for n in range(10)]
    with HashCache(tmp_path / "c.db") as cache:
        cache.store_many(HashRecord(f, md5=f"{n:032d}") for n, f in enumerate(files + neighbours))
        many = cache.lookup_many(files)  # 2,500 paths: one range scan of /d/
        few = cache.lookup_many(files[:100])  # by key
    assert len(many) == 2500 and many["/d/sub3/f10"].md5 == f"{10:032d}"
    assert {p: h.md5 for p, h in few.items()} == {p: many[p].md5 for p in few}


def test_concurrent_use_from_many_threads(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with HashCache(tmp_path / "c.db") as cache:

        def work(worker: int) -> None:
            try:
                for n in range(200):
                    identity = FileIdentity(f"/w{worker}/f{n}", n, n, n)
                    cache.store_many([HashRecord(identity, md5=f"{worker:016d}{n:016d}")])
                    assert cache.lookup_many([identity])[identity.path].md5 is not None
            except BaseException as exc:  # collected for the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert cache.count() == 1600


def test_a_corrupt_cache_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not a database" * 100)
    with HashCache(path) as cache:
        assert cache.count() == 0
    assert list(tmp_path.glob("c.db.corrupt-*"))


def test_default_location_is_the_data_directory() -> None:
    assert default_cache_path().parent == app_dirs.data_dir()


@pytest.mark.integration
def test_the_uploader_reuses_a_cached_md5_instead_of_reading_twice(
    s3_env: object, tmp_path: Path
) -> None:
    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.s3.client import make_s3_client
    from hma_gui.core.upload.upload_config import UploadConfig
    from hma_gui.core.upload.uploader import Uploader

    data = os.urandom(6 * 1024 * 1024)
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    config = UploadConfig(multipart_threshold=5 * 1024 * 1024, part_size=5 * 1024 * 1024)
    client = make_s3_client(load_settings())
    bucket = s3_env.mba_bucket  # type: ignore[attr-defined]
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, path.stat(), md5hex(data))
        uploader = Uploader(client, config, md5_cache=cache)
        reads = _count_builtin_opens(path)
        with reads:
            result = uploader.upload(path, bucket, "mba/csv/big.csv")
        uploader.close()
    assert reads.count == 0  # the whole-file MD5 pass (builtins.open) was skipped
    assert result.parts == 2 and result.md5 == md5hex(data)
    head = s3_env.head(bucket, "mba/csv/big.csv")  # type: ignore[attr-defined]
    assert head["Metadata"] == {"md5": md5hex(data)}


class _count_builtin_opens:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.count = 0

    def __enter__(self) -> _count_builtin_opens:
        self._open = builtins.open

        def counting(file: object, *args: object, **kwargs: object) -> object:
            if isinstance(file, (str, os.PathLike)) and os.fspath(file) == self.path:
                self.count += 1
            return self._open(file, *args, **kwargs)  # type: ignore[call-overload]

        builtins.open = counting  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        builtins.open = self._open


def test_walk_tuple_lookup_agrees_with_identity_lookups_in_both_query_shapes(
    tmp_path: Path,
) -> None:
    """`lookup_files` (walk tuples; a range scan from 2,000 paths on, keys below) gives
    exactly what `lookup_many` gives: a changed size, mtime, inode or ctime is a miss,
    and a path that is not UTF-8 is never answered, nor breaks the range scan."""
    stored = [FileIdentity(f"/d/sub{n % 7}/f{n}", n, n, n, n) for n in range(2500)]
    walked = [(f.path, f.size, f.mtime_ns, f.inode, 1, f.ctime_ns) for f in stored]
    walked[10] = (*walked[10][:5], 99_999)  # ctime moved: rewritten in place, size and mtime kept
    walked[11] = (walked[11][0], 12345, *walked[11][2:])  # size
    walked[12] = (walked[12][0], walked[12][1], 7, *walked[12][3:])  # mtime
    walked[13] = (*walked[13][:3], 4242, *walked[13][4:])  # inode
    walked.append(("/d/sub1/caf\udce9", 1, 1, 1, 1, 1))  # not UTF-8: never cached
    with HashCache(tmp_path / "c.db") as cache:
        cache.store_many(HashRecord(f, head=f"h{n}", md5=f"{n:032d}") for n, f in enumerate(stored))
        for files in (walked, walked[:100] + walked[-1:]):  # range scan, then by key
            batched = cache.lookup_files(files)
            one_by_one = {}
            for path, size, mtime_ns, inode, _device, ctime_ns in files:
                identity = FileIdentity(path, size, mtime_ns, inode, ctime_ns)
                for hit_path, hit in cache.lookup_many([identity]).items():
                    one_by_one[hit_path] = (hit.head, hit.md5)
            assert batched == one_by_one
            assert "/d/sub3/f10" not in batched
            assert not {"/d/sub4/f11", "/d/sub5/f12", "/d/sub6/f13"} & batched.keys()
            assert "/d/sub1/caf\udce9" not in batched
            assert batched["/d/sub0/f14"] == ("h14", f"{14:032d}")
        assert len(cache.lookup_files(walked)) == 2500 - 4


def test_a_hash_of_a_file_changed_just_now_serves_this_process_and_is_not_written(
    tmp_path: Path,
) -> None:
    """Within a grain of its last change, a file could change again in the same tick of
    the kernel's clock with its identity unchanged: its hash serves this process (the
    upload after a duplicate check reads the file once) but is not written, so a later
    run hashes it again; once the file has aged, its hash is written."""
    path, other = tmp_path / "f.csv", tmp_path / "g.csv"
    path.write_bytes(b"abc")
    other.write_bytes(b"xyz")
    identity = FileIdentity.of(other, other.stat())
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, path.stat(), "1" * 32)
        cache.store_many([HashRecord(identity, head="2" * 32)])
        cache.store_many([HashRecord(identity, md5="3" * 32)])
        cache.store_etags(identity, {5 * 1024 * 1024: "abc-2"})
        assert cache.lookup(path, path.stat()) == "1" * 32
        hit = cache.lookup_many([identity])[identity.path]
        assert (hit.head, hit.md5) == ("2" * 32, "3" * 32)
        [walked] = walk_files([str(other)], FileFilter.build()).files
        assert cache.lookup_files([walked]) == {str(other): ("2" * 32, "3" * 32)}
        with HashCache(tmp_path / "c.db") as same_process:  # the upload's, after the check's
            assert same_process.lookup(path, path.stat()) == "1" * 32
        assert cache.count() == 0  # nothing written
        assert cache.lookup_etag(identity, 5 * 1024 * 1024) is None
    later = subprocess.run(  # another process: hashes the file again
        [sys.executable, "-c", _LOOKUP, str(tmp_path / "c.db"), str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert later.stdout.strip() == "None"
    settle()
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, path.stat(), "1" * 32)
        cache.forget([str(other)])
        assert cache.lookup_many([identity]) == {}  # forgotten: held ones too
    later = subprocess.run(
        [sys.executable, "-c", _LOOKUP, str(tmp_path / "c.db"), str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert later.stdout.strip() == "1" * 32


_LOOKUP = """
import sys
from pathlib import Path
from hma_gui.core.hashes.hash_cache import HashCache
with HashCache(Path(sys.argv[1])) as cache:
    print(cache.lookup(sys.argv[2], Path(sys.argv[2]).stat()))
"""


def test_the_held_hashes_are_bounded_oldest_first() -> None:
    from hma_gui.core.hashes.fresh_hashes import HELD_MAX, FreshHashes

    held = FreshHashes()
    ids = [FileIdentity(f"/w/f{n}", n, n, n, n) for n in range(HELD_MAX + 1)]
    held.add(HashRecord(ids[0], md5="0" * 32))
    held.add(HashRecord(ids[1], md5="1" * 32))
    held.add(HashRecord(ids[0], head="h" * 32))  # known again: the newest now, md5 kept
    for identity in ids[2:]:
        held.add(HashRecord(identity, md5="2" * 32))
    assert held.get(ids[1]) is None  # one too many: the oldest went
    assert held.get(ids[2]) == CachedHashes(None, "2" * 32)
    assert held.get(ids[0]) == CachedHashes("h" * 32, "0" * 32)
    assert held.get(ids[-1]) == CachedHashes(None, "2" * 32)
    assert held.get(FileIdentity("/w/f0", 0, 0, 0, 1)) is None  # another ctime: not it


def test_stored_hashes_are_judged_by_when_their_read_began(tmp_path: Path) -> None:
    path, other = tmp_path / "f.csv", tmp_path / "g.csv"
    path.write_bytes(b"abc")
    other.write_bytes(b"xyz")
    identity = FileIdentity.of(other, other.stat())
    read_at = time.time()
    settle()  # aged by the time they are stored, not when they were read
    part = 5 * 1024 * 1024
    with HashCache(tmp_path / "c.db") as cache:
        cache.store(path, path.stat(), "1" * 32, read_at)
        cache.store_many([HashRecord(identity, "2" * 32, "3" * 32, read_at)])
        cache.store_etags(identity, {part: "abc-2"}, read_at)
        assert cache.count() == 0
        assert cache.lookup_etag(identity, part) is None
        assert cache.lookup_many([identity])[identity.path].md5 == "3" * 32  # held: served
        cache.store(path, path.stat(), "1" * 32)  # read just now: a grain after the change
        cache.store_many([HashRecord(identity, "2" * 32, "3" * 32)])
        cache.store_etags(identity, {part: "abc-2"})
        assert cache.count() == 2
        assert cache.lookup_etag(identity, part) == "abc-2"


def test_the_hasher_judges_its_hashes_by_when_its_pass_began(tmp_path: Path) -> None:
    """A pass over many files stores their hashes at its end, which may be well over a
    grain after a file was read: a file changed just before the pass is not written."""
    from hma_gui.core.hashes.file_hasher import FileHasher, HashTask

    class SlowStart:  # the first pass's first progress report takes longer than a grain
        slept = False

        def update(self, done: int, total: int | None, message: str = "") -> None:
            if not self.slept:
                self.slept = True
                settle()

    path = tmp_path / "f.csv"
    path.write_bytes(b"abc" * 2000)
    info = path.stat()
    task = HashTask(str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    with HashCache(tmp_path / "c.db") as cache:
        hasher = FileHasher(cache=cache, workers=1, progress=SlowStart())
        hasher.full([task])
        assert task.md5 == md5hex(b"abc" * 2000)
        assert cache.count() == 0  # a later run hashes it again
        assert cache.lookup(path, path.stat()) == task.md5  # this process does not
        hasher.full([HashTask(str(path), info.st_size, info.st_mtime_ns, info.st_ino)])
        assert cache.count() == 1  # now aged before the pass began
