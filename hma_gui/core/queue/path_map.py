"""Desktop paths → worker paths: ``\\\\server\\exports`` or ``/Volumes/exports`` → ``/srv/exports``.

A desktop sends the path it sees; a worker on another machine reads the same
share under its own mount point. The map is a list of (desktop prefix, worker
prefix) pairs from the ``queue_path_map`` setting; the longest matching prefix
wins. Windows prefixes match case-insensitively and with either slash, and the
rest of the path takes the worker's separators.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath


def _is_windows(path: str) -> bool:
    return path.startswith("\\\\") or (len(path) > 1 and path[1] == ":") or "\\" in path


def _parts(path: str) -> tuple[str, ...]:
    if _is_windows(path):
        return tuple(p.lower() for p in PureWindowsPath(path).parts)
    return PurePosixPath(path).parts


class PathMap:
    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        pairs = [(src, dst) for src, dst in (mapping or {}).items() if src]
        # longest desktop prefix first
        self._pairs = sorted(pairs, key=lambda pair: len(_parts(pair[0])), reverse=True)

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def to_worker(self, path: str) -> str:
        """The worker's path for a desktop's `path` (unchanged when no prefix matches)."""
        parts = _parts(path)
        for src, dst in self._pairs:
            prefix = _parts(src)
            if parts[: len(prefix)] == prefix:
                rest = self._original_rest(path, len(prefix))
                return (
                    str(PurePosixPath(dst, *rest))
                    if not _is_windows(dst)
                    else str(PureWindowsPath(dst, *rest))
                )
        return path

    @staticmethod
    def _original_rest(path: str, skip: int) -> tuple[str, ...]:
        parts = PureWindowsPath(path).parts if _is_windows(path) else PurePosixPath(path).parts
        return tuple(parts[skip:])
