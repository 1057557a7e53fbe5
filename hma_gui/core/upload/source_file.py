"""The local file under upload: a regular file, read so that a change is noticed."""

from __future__ import annotations

import mimetypes
import os
import stat
from typing import TYPE_CHECKING

from hma_gui.core.errors import SourceFileError

if TYPE_CHECKING:
    from _typeshed import StrPath


def stat_regular(path: StrPath) -> os.stat_result:
    try:
        info = os.stat(path)  # noqa: PTH116 - the path may be text: no Path per file
    except FileNotFoundError:
        raise SourceFileError(
            "the file no longer exists (moved or deleted after it was queued)"
        ) from None
    except PermissionError:
        raise SourceFileError("permission denied: the file cannot be read") from None
    except OSError as exc:
        raise SourceFileError(f"cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceFileError("not a regular file")
    return info


def read_stable(path: StrPath, info: os.stat_result) -> tuple[bytes, os.stat_result]:
    """The whole file, read so that it did not change while being read (two tries)."""
    for _ in range(2):
        try:
            fd = os.open(path, _READ_FLAGS)
            try:
                data = _read_to_end(fd, info.st_size)
                after = os.fstat(fd)
            finally:
                os.close(fd)
        except FileNotFoundError:
            raise SourceFileError("the file no longer exists (moved or deleted)") from None
        except PermissionError:
            raise SourceFileError("permission denied: the file cannot be read") from None
        except OSError as exc:
            raise SourceFileError(f"cannot read the file: {exc.strerror or exc}") from None
        if len(data) == after.st_size and after.st_mtime_ns == info.st_mtime_ns:
            return data, after
        info = after
    raise SourceFileError(
        "the file kept changing while it was read (is it still being written?)", retryable=True
    )


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _read_to_end(fd: int, size: int) -> bytes:
    """All of `fd` from where it stands, expecting `size` bytes: open, two reads, fstat
    and close make five system calls a file, where ``open()`` + ``read()`` made ten."""
    parts: list[bytes] = []
    total = 0
    # one more byte than expected: a read that returns less is at the end (then one more
    # read says so); a file that grew is read on in blocks, and `read_stable` notices
    while chunk := os.read(fd, size + 1 - total if total <= size else 1 << 20):
        parts.append(chunk)
        total += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def identity(info: os.stat_result) -> tuple[int, int, int, int]:
    # ctime too: an in-place rewrite that keeps size and mtime (cp -p) moves only it
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns


def check_unchanged(path: StrPath, info: os.stat_result) -> None:
    try:
        now = os.stat(path)  # noqa: PTH116
    except OSError:
        raise SourceFileError("the file vanished while it was being uploaded") from None
    if identity(now) != identity(info):
        raise SourceFileError("the file changed while it was being uploaded", retryable=True)


# Python's own table only: `mimetypes.init()` would read /etc/mime.types, or on
# Windows the registry, where Excel maps .csv to application/vnd.ms-excel — the same
# file would get another Content-Type from each desktop. Plus the types of the
# files analysts export that the table lacks. `MimeTypes()` runs that `init()` for
# the module's own tables first unless `inited` says it ran (~5 ms of start-up, for
# tables this one never reads): the flag is held up while ours is built.
_was_inited, mimetypes.inited = mimetypes.inited, True
try:
    _TYPES = mimetypes.MimeTypes(filenames=())
finally:
    mimetypes.inited = _was_inited
for _type, _suffix in (
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
    ("application/vnd.apache.parquet", ".parquet"),
    ("application/gzip", ".gz"),
    ("application/x-7z-compressed", ".7z"),
):
    _TYPES.add_type(_type, _suffix)
_BY_SUFFIX: dict[str, str] = {}


def content_type(path: StrPath) -> str:
    """The Content-Type an upload of `path` carries: by its suffix, the same on every machine."""
    suffix = _suffix_of(os.fspath(path)).lower()
    found = _BY_SUFFIX.get(suffix)
    if found is None:
        common, strict = _TYPES.types_map  # [False], [True]; by suffix only: .gz is no encoding
        guessed = strict.get(suffix) or common.get(suffix)
        found = _BY_SUFFIX[suffix] = guessed or "application/octet-stream"
    return found


def _suffix_of(path: str) -> str:
    """`pathlib.PurePath.suffix` of a path as text (no `Path` built per uploaded file)."""
    name = os.path.basename(path)  # noqa: PTH119 - text, not a Path per file
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""
