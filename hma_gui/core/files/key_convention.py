"""The S3 key convention and key validation: one place, documented, tested.

A file's key is ``<scope prefix><type folder>/<path below the scope and type folders>``:

* the **scope folder** is the last folder in the file's absolute path whose
  name is the scope's name (``…/data/mba/…`` for scope ``mba``, any case);
* the **type folder** is the file's extension in lower case (``csv``, ``pdf``;
  ``other`` for a file without one). If the first folder below the scope folder
  *is* the type folder (``mba/csv/…``), it is not repeated;
* the **path below** is what follows the scope folder. A file outside any scope
  folder (only possible with an explicit ``--scope``) keeps its path from the
  folder that was dropped or named on the command line, that folder's own name
  included, as a drag into a cloud drive does.

Examples with the default scope ``mba → hma-mba-bucket, mba/``::

    data/mba/csv/MemberData.csv        → mba/csv/MemberData.csv
    data/mba/csv/2024/x.csv            → mba/csv/2024/x.csv
    data/mba/MemberData.csv            → mba/csv/MemberData.csv
    data/mba/reports/q1.pdf            → mba/pdf/reports/q1.pdf
    ~/Exports/2024/x.csv (dropped "Exports", --scope mba)
                                       → mba/csv/Exports/2024/x.csv

Keys are NFC-normalised and then validated: not empty, no leading ``/``, no
empty, ``.`` or ``..`` segment, no control characters, at most 1024 bytes of
UTF-8 (S3's limit).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath, PureWindowsPath
from typing import TYPE_CHECKING

from hma_gui.core.errors import KeyValidationError, NoScopeFolderError, ScopeError
from hma_gui.core.files.file_filter import extension_of
from hma_gui.core.files.path_text import NOT_UTF8, is_valid_text

if TYPE_CHECKING:  # annotations only: a local duplicate check may run without pydantic
    from hma_gui.core.config.settings import Settings

MAX_KEY_BYTES = 1024
AUTO_SCOPE = "auto"
NO_EXTENSION_FOLDER = "other"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Target:
    """Where one file goes."""

    scope: str
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def detect_scope(path: PurePath, scope_names: Iterable[str]) -> str | None:
    """The scope whose folder appears last in `path`'s folders, or None."""
    names = {name.lower(): name for name in scope_names}
    for folder in reversed(path.parent.parts):
        hit = names.get(folder.lower())
        if hit is not None:
            return hit
    return None


def type_folder(filename: str) -> str:
    return extension_of(filename) or NO_EXTENSION_FOLDER


def build_key(path: PurePath, *, scope: str, prefix: str, root: PurePath | None = None) -> str:
    """The validated key of `path` in `scope` (see the module docstring for the rules).

    `root` is the folder (or file) the user dropped or named; it only matters
    for files outside any scope folder. Both paths should be absolute.
    """
    parts = path.parts  # one split of the path (a file's: its name is the last part)
    name = path.name
    folders = parts[:-1] if parts and parts[-1] == name else parts
    scope_index = _last_index(folders, scope)
    if scope_index is not None:
        below = [*folders[scope_index + 1 :], name]
    else:
        below = _below_root_parent(path, parts, root) or [name]
    kind = type_folder(name)
    if len(below) > 1 and below[0].lower() == kind:
        below = below[1:]
    return validate_key(prefix + kind + "/" + "/".join(below))


def resolve_target(
    path: PurePath, settings: Settings, scope: str = AUTO_SCOPE, root: PurePath | None = None
) -> Target:
    """Scope, bucket and key of one file. Raises `ScopeError` or `KeyValidationError`."""
    if scope == AUTO_SCOPE:
        detected = detect_scope(path, settings.scopes)
        if detected is None:
            known = ", ".join(sorted(settings.scopes))
            raise NoScopeFolderError(
                f"no scope folder ({known}) in the path of {path.name!r}; choose a scope"
            )
        scope = detected
    if scope not in settings.scopes:
        known = ", ".join(sorted(settings.scopes))
        raise ScopeError(f"unknown scope {scope!r} (configured: {known})")
    config = settings.scopes[scope]
    key = build_key(path, scope=scope, prefix=config.prefix, root=root)
    return Target(scope=scope, bucket=config.bucket, key=key)


def validate_key(key: str) -> str:
    """Return `key` in NFC, or raise `KeyValidationError` saying what is wrong."""
    if not is_valid_text(key):
        raise KeyValidationError(NOT_UTF8)
    key = unicodedata.normalize("NFC", key)
    if not key:
        raise KeyValidationError("the S3 key is empty")
    if key.startswith("/"):
        raise KeyValidationError(f"S3 key {key!r} starts with '/'")
    bad = _CONTROL.search(key)  # Unicode's category Cc: exactly these 65 characters
    if bad is not None:
        raise KeyValidationError(
            f"S3 key {key!r} contains the control character U+{ord(bad.group()):04X}"
        )
    if "\\" in key:
        raise KeyValidationError(f"S3 key {key!r} contains a backslash")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            shown = segment or "an empty"
            raise KeyValidationError(f"S3 key {key!r} has {shown!s} path segment")
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise KeyValidationError(f"S3 key is {size} bytes long; S3 allows {MAX_KEY_BYTES}")
    return key


def _last_index(folders: Sequence[str], name: str) -> int | None:
    wanted = name.lower()
    for index in range(len(folders) - 1, -1, -1):
        if folders[index].lower() == wanted:
            return index
    return None


def _below_root_parent(
    path: PurePath, parts: tuple[str, ...], root: PurePath | None
) -> list[str] | None:
    """`path`'s parts below `root`'s parent when `path` is inside `root` (not `root`)."""
    if root is None:
        return None
    root_parts, base_length, casefold = _split_root(root)
    if len(parts) <= len(root_parts):
        return None  # `root` itself, or not below it
    head = parts[: len(root_parts)]
    if (tuple(p.lower() for p in head) if casefold else head) != root_parts:
        return None
    return list(parts[base_length:])


@functools.lru_cache(maxsize=64)
def _split_root(root: PurePath) -> tuple[tuple[str, ...], int, bool]:
    """`root`'s parts as `relative_to` compares them, and its parent's length (a drop's
    files share one root: split once). Windows paths compare case-insensitively."""
    casefold = isinstance(root, PureWindowsPath)
    parts = tuple(p.lower() for p in root.parts) if casefold else root.parts
    return parts, len(root.parent.parts), casefold
