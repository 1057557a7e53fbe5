"""The loop the upload benchmark's reference clients share: every file under a folder,
read whole and handed with its key to `send`, from a pool of threads."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

THREADS = 8


def send_each(source: str, prefix: str, send: Callable[[str, bytes], None]) -> None:
    """`send(key, data)` for each file below `source`; the key is `prefix` + its relative path."""
    paths = []
    for folder, _dirs, files in os.walk(source):
        paths.extend(os.path.join(folder, name) for name in files)

    def one(path: str) -> None:
        with open(path, "rb") as handle:
            data = handle.read()
        send(prefix + os.path.relpath(path, source).replace(os.sep, "/"), data)

    with ThreadPoolExecutor(THREADS) as pool:
        for _ in pool.map(one, paths):
            pass
