"""Hashing many files at once: a small thread pool, large reads, the hash cache first.

`FileHasher` fills in `HashTask`s: a fingerprint of the first 4 KiB
(``head``: the exact MD5 for files of 4 KiB or less, a CRC-32 otherwise — only
ever compared between files of one size, and a match is always confirmed by
the MD5 of the whole file, so a cheap checksum is enough), the MD5 of the
whole file, and on request the multipart ETags for given part
sizes, all from one read of the file. Reads are 1 MiB ``readinto`` calls on a
few threads (hashlib releases the GIL on buffers this size, so hashing runs in
parallel with reading). Work is handed out in inode order, which on most file
systems is close to disk order when the cache is cold.

A file is hashed against the identity the caller saw (size, mtime_ns, inode):
if it is gone, unreadable, or its identity differs after the read, the task
gets an `error` and no hash, so a file that changed while being read is never
grouped with anything.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from hma_gui.core.errors import Cancelled
from hma_gui.core.files.disk_probe import DiskProbe
from hma_gui.core.hashes.file_identity import FileIdentity, HashRecord
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.progress import CancelToken, NullTaskProgress, TaskProgress

HEAD_BYTES = 4096
READ_CHUNK = 1024 * 1024
BATCH_BYTES = 4 * 1024 * 1024  # work handed to a thread at once (small files batched)
BATCH_FILES = 256
PROGRESS_SECONDS = 0.1

CHANGED = "changed while being read (size or modification time moved); not compared"
VANISHED = "vanished while being read; not compared"


@dataclass(slots=True, eq=False)
class HashTask:
    """One file to hash. The hasher fills in `head`, `md5`, `etags` or `error`."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    device: int = 0
    head: str | None = None
    md5: str | None = None
    part_sizes: tuple[int, ...] = ()  # multipart ETags wanted, by part size
    etags: dict[int, str] | None = None  # part size -> multipart ETag
    error: str | None = None
    from_cache: bool = False
    # the ctime the caller saw with size and mtime (a walk's): the cache keys the hash by
    # it, so a rewrite after that look is hashed again; None: the cache stats the file
    ctime_ns: int | None = None

    @property
    def identity(self) -> FileIdentity:
        return FileIdentity(self.path, self.size, self.mtime_ns, self.inode, self.ctime_ns)


@dataclass(slots=True)
class HashCounters:
    cache_hits: int = 0
    head_reads: int = 0
    full_reads: int = 0
    bytes_read: int = 0


class FileHasher:
    """Hashes files on `workers` threads, through `cache` when one is given."""

    def __init__(
        self,
        *,
        cache: HashCache | None = None,
        workers: int = 4,
        cancel: CancelToken | None = None,
        progress: TaskProgress | None = None,
    ) -> None:
        self.cache = cache
        self.workers = max(1, workers)
        self.cancel = cancel or CancelToken()
        self.progress = progress or NullTaskProgress()
        self.counters = HashCounters()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ cache

    def fill_from_cache(self, tasks: Sequence[HashTask]) -> None:
        """Take heads, MD5s and wanted ETags from the cache where the identity matches."""
        if self.cache is None or not tasks:
            return
        found = self.cache.lookup_many(tasks)
        for task in tasks:
            hit = found.get(task.path)
            if hit is None:
                continue
            task.head = task.head or hit.head
            task.md5 = task.md5 or hit.md5
            if task.md5 is not None and task.size <= HEAD_BYTES:
                task.head = task.md5
            for part in task.part_sizes:
                etag = self.cache.lookup_etag(task.identity, part)
                if etag is not None:
                    task.etags = {**(task.etags or {}), part: etag}
            task.from_cache = True
            self.counters.cache_hits += 1

    # ------------------------------------------------------------------ hashing

    def heads(self, tasks: Sequence[HashTask], message: str = "comparing first 4 KiB") -> None:
        """Give every task without a head its head hash (small files: their MD5 as well)."""
        todo = [t for t in tasks if t.head is None and t.error is None]
        read_at = time.time()
        # Small reads: one thread while the page cache serves them, many once the disk does.
        try:
            self._run(
                todo, self._read_head, message, lambda t: min(t.size, HEAD_BYTES),
                threads=self.workers * 2, adaptive=True,
            )  # fmt: skip
        finally:  # cancelled or not, what was hashed is kept
            self._remember(todo, read_at)

    def full(self, tasks: Sequence[HashTask], message: str = "hashing") -> None:
        """Give every task its MD5 (and the multipart ETags it asks for)."""
        todo = [
            t
            for t in tasks
            if t.error is None
            and (t.md5 is None or any(p not in (t.etags or {}) for p in t.part_sizes))
        ]
        read_at = time.time()
        # Large reads: hashlib releases the GIL, so the threads hash in parallel.
        try:
            self._run(todo, self._read_full, message, lambda t: t.size, threads=self.workers)
        finally:
            self._remember(todo, read_at)

    def _remember(self, tasks: Sequence[HashTask], read_at: float) -> None:
        """Keep what was hashed, judged by `read_at`: before any of `tasks` was read."""
        if self.cache is None:
            return
        done = [t for t in tasks if t.error is None]
        self.cache.store_many(HashRecord(t.identity, t.head, t.md5, read_at) for t in done)
        for task in done:
            if task.etags:
                self.cache.store_etags(task.identity, task.etags, read_at)

    def _run(
        self,
        tasks: list[HashTask],
        work: Callable[[HashTask, bytearray], int],
        message: str,
        weight: Callable[[HashTask], int],
        *,
        threads: int,
        adaptive: bool = False,
    ) -> None:
        """Work through `tasks` in batches; `adaptive`: alone until the disk is being read."""
        if not tasks:
            return
        tasks.sort(key=lambda t: (t.device, t.inode))
        batches = _batches(tasks, weight)
        total = len(tasks)
        done = 0
        self.progress.update(0, total, message)
        last = time.monotonic()
        index = 0
        # a warm batch of small reads takes a few milliseconds, a cold one tens
        probe = DiskProbe(slow_seconds=0.02) if adaptive and threads > 1 else None
        while index < len(batches) and (threads == 1 or probe is not None):
            self._work_batch(batches[index], work)
            done += len(batches[index])
            index += 1
            last = self._tick(done, total, message, last)
            if probe is not None and probe.reading():
                break
        remaining = batches[index:]
        if remaining:
            done = self._run_pool(remaining, work, message, threads, done, total, last)
        self.progress.update(done, total, message)

    def _run_pool(
        self,
        batches: list[list[HashTask]],
        work: Callable[[HashTask, bytearray], int],
        message: str,
        threads: int,
        done: int,
        total: int,
        last: float,
    ) -> int:
        pool = ThreadPoolExecutor(min(threads, len(batches)), thread_name_prefix="hash")
        try:
            futures: dict[Future[None], int] = {
                pool.submit(self._work_batch, batch, work): len(batch) for batch in batches
            }
            pending = set(futures)
            while pending:
                finished, pending = wait(
                    pending, timeout=PROGRESS_SECONDS, return_when=FIRST_EXCEPTION
                )
                for future in finished:
                    future.result()  # re-raises Cancelled or a bug
                    done += futures[future]
                last = self._tick(done, total, message, last)
        except BaseException:
            self.cancel.cancel("stopped")  # the other threads stop at their next file
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return done

    def _tick(self, done: int, total: int, message: str, last: float) -> float:
        now = time.monotonic()
        if now - last >= PROGRESS_SECONDS:
            self.progress.update(done, total, message)
            return now
        return last

    def _work_batch(
        self, batch: list[HashTask], work: Callable[[HashTask, bytearray], int]
    ) -> None:
        buffer = bytearray(READ_CHUNK)
        nbytes = 0
        for task in batch:
            if self.cancel.cancelled:
                raise Cancelled(self.cancel.reason)
            nbytes += work(task, buffer)
        with self._lock:
            self.counters.bytes_read += nbytes

    def _read_head(self, task: HashTask, _buffer: bytearray) -> int:
        want = min(task.size, HEAD_BYTES)
        try:
            fd = os.open(task.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            task.error = _open_error(exc)
            return 0
        try:
            data = os.read(fd, want)
            after = os.fstat(fd)
        except OSError as exc:
            task.error = f"cannot be read: {exc.strerror or exc}"
            return 0
        finally:
            os.close(fd)
        if len(data) != want or not _same(task, after):
            task.error = CHANGED
            return len(data)
        if task.size <= HEAD_BYTES:
            task.head = task.md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        else:
            task.head = head_fingerprint(zlib.crc32(data))
        with self._lock:
            self.counters.head_reads += 1
        return len(data)

    def _read_full(self, task: HashTask, buffer: bytearray) -> int:
        view = memoryview(buffer)
        try:
            fd = os.open(task.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            task.error = _open_error(exc)
            return 0
        whole = hashlib.md5(usedforsecurity=False)
        parts = _PartHashers(task.part_sizes)
        head = 0  # running CRC-32 of the first 4 KiB
        total = 0
        try:
            with open(fd, "rb", buffering=0, closefd=False) as handle:
                while True:
                    if self.cancel.cancelled:
                        raise Cancelled(self.cancel.reason)
                    read = handle.readinto(buffer)
                    if not read:
                        break
                    chunk = view[:read]
                    if total < HEAD_BYTES:
                        head = zlib.crc32(chunk[: HEAD_BYTES - total], head)
                    whole.update(chunk)
                    parts.update(chunk)
                    total += read
                    if total > task.size:
                        break
            after = os.fstat(fd)
        except OSError as exc:
            task.error = f"cannot be read: {exc.strerror or exc}"
            return total
        finally:
            os.close(fd)
        if total != task.size or not _same(task, after):
            task.error = CHANGED
            return total
        task.md5 = whole.hexdigest()
        task.head = task.md5 if task.size <= HEAD_BYTES else head_fingerprint(head)
        if task.part_sizes:
            task.etags = {**(task.etags or {}), **parts.etags()}
        with self._lock:
            self.counters.full_reads += 1
        return total


class _PartHashers:
    """Running multipart ETags for several part sizes, fed by one pass over the file."""

    def __init__(self, part_sizes: Sequence[int]) -> None:
        self._parts = {p: _PartEtag(p) for p in part_sizes}

    def update(self, chunk: memoryview) -> None:
        for part in self._parts.values():
            part.update(chunk)

    def etags(self) -> dict[int, str]:
        return {size: part.etag() for size, part in self._parts.items()}


class _PartEtag:
    def __init__(self, part_size: int) -> None:
        self.part_size = part_size
        self.digests: list[bytes] = []
        self.current = hashlib.md5(usedforsecurity=False)
        self.filled = 0

    def update(self, chunk: memoryview) -> None:
        while chunk:
            room = self.part_size - self.filled
            piece = chunk[:room]
            self.current.update(piece)
            self.filled += len(piece)
            chunk = chunk[len(piece) :]
            if self.filled == self.part_size:
                self.digests.append(self.current.digest())
                self.current = hashlib.md5(usedforsecurity=False)
                self.filled = 0

    def etag(self) -> str:
        digests = list(self.digests)
        if self.filled or not digests:
            digests.append(self.current.digest())
        combined = hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()
        return f"{combined}-{len(digests)}"


def head_fingerprint(crc: int) -> str:
    """The head of a file larger than 4 KiB: CRC-32 of its first 4 KiB, 8 hex digits."""
    return f"{crc:08x}"


def _same(task: HashTask, info: os.stat_result) -> bool:
    return (info.st_size, info.st_mtime_ns, info.st_ino) == (task.size, task.mtime_ns, task.inode)


def _open_error(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return VANISHED
    if isinstance(exc, PermissionError):
        return "permission denied: the file cannot be read"
    return f"cannot be opened: {exc.strerror or exc}"


def _batches(tasks: list[HashTask], weight: Callable[[HashTask], int]) -> list[list[HashTask]]:
    """Consecutive runs of tasks of about `BATCH_BYTES` or `BATCH_FILES` each."""
    batches: list[list[HashTask]] = []
    current: list[HashTask] = []
    size = 0
    for task in tasks:
        current.append(task)
        size += weight(task)
        if size >= BATCH_BYTES or len(current) >= BATCH_FILES:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches
