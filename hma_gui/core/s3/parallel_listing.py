"""Every object under a prefix, listed by several requests at once where the prefix is big.

ListObjectsV2 hands out 1,000 keys a call and each call waits for the one before
(its continuation token). On real S3 a call takes 50–300 ms, so a scope prefix
of 200,000 objects costs a minute before an upload can start. Folders split
that chain: the keys under ``mba/csv/2024/`` and under ``mba/csv/2025/`` can be
listed at the same time.

`list_prefix` lists the first pages as one chain, as before: a listing of up to
three pages costs what it always cost, and no thread. When the third page stops
at key K, what comes after K is, at each folder level from the prefix down to
K's own folder: that folder's objects after K, and its sub-folders after K.
One walk per level (``Delimiter="/"``, ``StartAfter`` K; all levels at once)
returns both. In a flat folder the deepest walk is the rest of the listing,
page after page, as before. Each sub-folder a walk finds is then listed the
same way, at the same time as the others (so a big one splits again); where a
level has more sub-folders than ``workers``, they are read as ``workers``
contiguous groups instead, each from just before its first folder to the end
of its last, keeping only keys in those folders (the walk has the rest).

No key is listed twice and none is missed, folder markers (a key equal to its
folder's name, ending in ``/``) included; the result is in key order, as a
plain listing gives it. Requests go through the caller's ``list_page``
(botocore's ``list_objects_v2``, or the lazy client's), which is thread-safe.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

DELIMITER = "/"
WORKERS = 8
CHAIN_PAGES = 3  # pages listed in a chain before a prefix splits: up to 3,000 keys, as before

ListPage = Callable[..., dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Prefix:
    """Every key under `prefix` (splits into more tasks when it is long)."""

    prefix: str


@dataclass(frozen=True, slots=True)
class _Walk:
    """`folder`'s own objects after `after`, and a task for each of its sub-folders after it."""

    folder: str
    after: str


@dataclass(frozen=True, slots=True)
class _Group:
    """The keys in `folder`'s sub-folders from `first` to `last` (names, in order)."""

    folder: str
    first: str
    last: str


_Task = _Prefix | _Walk | _Group


class _Lister:
    def __init__(self, list_page: ListPage, bucket: str, page_size: int, workers: int) -> None:
        self._list_page = list_page
        self._bucket = bucket
        self._page_size = page_size
        self.workers = max(1, workers)
        # an S3 Express directory bucket lists out of key order and takes no StartAfter
        whole = workers <= 1 or bucket.endswith("--x-s3")
        self.chain_pages = 0 if whole else CHAIN_PAGES  # 0: one chain, never split

    def page(self, prefix: str, *, after: str | None = None, token: str | None = None,
             delimiter: bool = False) -> dict[str, Any]:  # fmt: skip
        kwargs: dict[str, Any] = {
            "Bucket": self._bucket, "Prefix": prefix, "MaxKeys": self._page_size,
        }  # fmt: skip
        if token:
            kwargs["ContinuationToken"] = token
        elif after:
            kwargs["StartAfter"] = after
        if delimiter:
            kwargs["Delimiter"] = DELIMITER
        return self._list_page(**kwargs)

    def pages(self, prefix: str, *, after: str | None = None,
              delimiter: bool = False) -> Iterator[dict[str, Any]]:  # fmt: skip
        """Page after page from `after`, to the end."""
        page = self.page(prefix, after=after, delimiter=delimiter)
        while True:
            yield page
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            page = self.page(prefix, token=token, delimiter=delimiter)

    # ----------------------------------------------------------------- tasks

    def run(self, task: _Task) -> tuple[list[dict[str, Any]], list[_Task]]:
        """The objects the task found, and the tasks it hands on."""
        if isinstance(task, _Walk):
            return self._walk(task)
        if isinstance(task, _Group):
            return self._group(task), []
        items: list[dict[str, Any]] = []
        for number, page in enumerate(self.pages(task.prefix), 1):
            items.extend(page.get("Contents", []))
            if number == self.chain_pages and page.get("IsTruncated") and items:
                break  # long: split what is left
        else:
            return items, []  # the whole chain was short
        last = items[-1]["Key"]
        walks: list[_Task] = []
        folder: str | None = task.prefix
        while folder is not None:  # the prefix, then each folder down to `last`'s own
            walks.append(_Walk(folder, last))
            folder = _folder_of(folder, last)
        return items, walks

    def _walk(self, task: _Walk) -> tuple[list[dict[str, Any]], list[_Task]]:
        items: list[dict[str, Any]] = []
        folders: set[str] = set()
        for page in self.pages(task.folder, after=task.after, delimiter=True):
            items.extend(page.get("Contents", []))
            names = (folder["Prefix"] for folder in page.get("CommonPrefixes", []))
            folders.update(name for name in names if name > task.after)  # not the one of `after`
        ordered = sorted(folders)
        if len(ordered) <= self.workers:
            return items, [_Prefix(name) for name in ordered]
        step = len(ordered) / self.workers
        cuts = [round(i * step) for i in range(self.workers + 1)]
        groups: list[_Task] = [
            _Group(task.folder, ordered[start], ordered[end - 1])
            for start, end in itertools.pairwise(cuts)
        ]
        return items, groups

    def _group(self, task: _Group) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for page in self.pages(task.folder, after=_just_before(task.first)):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key > task.last and not key.startswith(task.last):
                    return found  # past the last folder
                folder = _folder_of(task.folder, key)
                if folder is not None and folder >= task.first:  # not the folder's own objects
                    found.append(item)
        return found


def _just_before(name: str) -> str:
    """A ``StartAfter`` below folder `name` (and its marker) and above what sorts before it.

    ``"."`` comes just before ``"/"``; a key between this and `name` would have to
    go on with U+10FFFF, which S3 keys in practice never hold.
    """
    return name[:-1] + ".\U0010ffff"


def _folder_of(prefix: str, key: str) -> str | None:
    """The sub-folder of `prefix` that holds `key` (``prefix + name + "/"``), or None."""
    cut = key.find(DELIMITER, len(prefix))
    return None if cut < 0 else key[: cut + 1]


def list_prefix(
    list_page: ListPage,
    bucket: str,
    prefix: str,
    *,
    page_size: int = 1000,
    workers: int = WORKERS,
) -> list[dict[str, Any]]:
    """Every object under `prefix`: ListObjectsV2 ``Contents`` items, in key order.

    Raises what `list_page` raises; requests still running then are waited for.
    """
    lister = _Lister(list_page, bucket, page_size, workers)
    items, tasks = lister.run(_Prefix(prefix))
    if not tasks:
        return items
    by_key = {item["Key"]: item for item in items}
    with ThreadPoolExecutor(max_workers=lister.workers, thread_name_prefix="s3-list") as pool:
        pending: set[Future[tuple[list[dict[str, Any]], list[_Task]]]] = {
            pool.submit(lister.run, task) for task in tasks
        }
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    found, more = future.result()
                    by_key.update((item["Key"], item) for item in found)
                    pending |= {pool.submit(lister.run, task) for task in more}
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return [by_key[key] for key in sorted(by_key)]
