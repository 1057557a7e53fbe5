"""Which files are picked up: extension include/exclude, temporary and hidden names."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Names that are never a finished member file: OS litter, editor locks, partial downloads.
TEMPORARY_PATTERNS: tuple[str, ...] = (
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
    "~$*",
    "*.tmp",
    "*.temp",
    "*.part",
    "*.partial",
    "*.crdownload",
    "*.swp",
    "*~",
)


def normalize_extensions(values: Iterable[str]) -> list[str]:
    """``["CSV", ".pdf", "csv, txt"]`` → ``["csv", "pdf", "txt"]`` (order kept, no repeats)."""
    result: list[str] = []
    for value in values:
        for piece in str(value).split(","):
            ext = piece.strip().lstrip("*").lstrip(".").lower()
            if ext and ext not in result:
                result.append(ext)
    return result


def extension_of(name: str) -> str:
    """Lower-case extension without the dot; ``""`` for none. ``a.tar.gz`` → ``gz``."""
    base = name.rsplit("/", 1)[-1]
    if "." not in base.lstrip("."):
        return ""
    return base.rsplit(".", 1)[1].lower()


# One compiled regex for all the patterns: this runs once per file of a tree.
TEMPORARY_RE = re.compile("|".join(fnmatch.translate(p.lower()) for p in TEMPORARY_PATTERNS))


def is_temporary(name: str) -> bool:
    """True for names that are scratch files: ``~$x.xlsx``, ``x.part``, ``.DS_Store``…"""
    return TEMPORARY_RE.match(name.lower()) is not None


def is_hidden(name: str) -> bool:
    return name.startswith(".")


@dataclass(frozen=True)
class FileFilter:
    """Decides from a name alone whether a file is wanted.

    `include` empty means every extension. `exclude` wins over `include`.
    Hidden names (dotfiles and dot-folders) and temporary names are skipped
    unless `skip_hidden` / `skip_temporary` are turned off.
    """

    include: tuple[str, ...] = field(default_factory=tuple)
    exclude: tuple[str, ...] = field(default_factory=tuple)
    skip_hidden: bool = True
    skip_temporary: bool = True
    follow_symlinks: bool = False  # off: links leading outside the walked folder are skipped

    @classmethod
    def build(
        cls,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
        *,
        skip_hidden: bool = True,
        skip_temporary: bool = True,
        follow_symlinks: bool = False,
    ) -> FileFilter:
        return cls(
            tuple(normalize_extensions(include)),
            tuple(normalize_extensions(exclude)),
            skip_hidden,
            skip_temporary,
            follow_symlinks,
        )

    def wants_dir(self, name: str) -> bool:
        return not (self.skip_hidden and is_hidden(name))

    def rejects(self, name: str) -> str | None:
        """Why a file name is not wanted, or None when it is."""
        if self.skip_hidden and is_hidden(name):
            return "hidden file"
        if self.skip_temporary and is_temporary(name):
            return "temporary file"
        return self.extension_rejects(name)

    def extension_rejects(self, name: str) -> str | None:
        """Why the include/exclude lists refuse `name`, or None."""
        if not (self.include or self.exclude):
            return None
        ext = extension_of(name)
        if ext in self.exclude:
            return f"excluded extension .{ext}"
        if self.include and ext not in self.include:
            return f"extension .{ext or '(none)'} not included"
        return None

    def wants(self, name: str) -> bool:
        return self.rejects(name) is None


OUTSIDE_LINK = "symbolic link leading outside the folder (not followed; see follow_symlinks)"


def real_roots(roots: Iterable[str]) -> tuple[str, ...]:
    """The resolved folders a walk started from, for `leads_outside`."""
    return tuple(os.path.realpath(root) for root in roots)


def leads_outside(path: str, roots: tuple[str, ...]) -> bool:
    """Whether the symbolic link `path` resolves to somewhere outside every one of `roots`."""
    target = os.path.realpath(path)
    if not Path(target).exists():
        return False  # a broken link: the walkers report it as such
    return not any(
        target == root or target.startswith(root if root.endswith(os.sep) else root + os.sep)
        for root in roots
    )
