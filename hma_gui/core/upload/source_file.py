"""The local file under upload: a regular file, read so that a change is noticed."""

from __future__ import annotations

import mimetypes
import os
import stat
from pathlib import Path

from hma_gui.core.errors import SourceFileError


def stat_regular(path: Path) -> os.stat_result:
    try:
        info = path.stat()
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


def read_stable(path: Path, info: os.stat_result) -> tuple[bytes, os.stat_result]:
    """The whole file, read so that it did not change while being read (two tries)."""
    for _ in range(2):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                after = os.fstat(handle.fileno())
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


def identity(info: os.stat_result) -> tuple[int, int, int, int]:
    # ctime too: an in-place rewrite that keeps size and mtime (cp -p) moves only it
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns


def check_unchanged(path: Path, info: os.stat_result) -> None:
    try:
        now = path.stat()
    except OSError:
        raise SourceFileError("the file vanished while it was being uploaded") from None
    if identity(now) != identity(info):
        raise SourceFileError("the file changed while it was being uploaded", retryable=True)


# Python's own table only: `mimetypes.init()` would read /etc/mime.types, or on
# Windows the registry, where Excel maps .csv to application/vnd.ms-excel — the same
# file would get another Content-Type from each desktop. Plus the types of the
# files analysts export that the table lacks.
_TYPES = mimetypes.MimeTypes(filenames=())
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


def content_type(path: Path) -> str:
    """The Content-Type an upload of `path` carries: by its suffix, the same on every machine."""
    suffix = path.suffix.lower()
    found = _BY_SUFFIX.get(suffix)
    if found is None:
        common, strict = _TYPES.types_map  # [False], [True]; by suffix only: .gz is no encoding
        guessed = strict.get(suffix) or common.get(suffix)
        found = _BY_SUFFIX[suffix] = guessed or "application/octet-stream"
    return found
