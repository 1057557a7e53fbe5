"""Asking which scope files outside every scope folder belong to.

`ask_scope` is the real question (a list of the configured scopes); the jobs
table and the window take any function of the same shape, so tests answer it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QInputDialog, QWidget

# (parent, the configured scopes, how many files) -> the chosen scope or None
ScopeChooser = Callable[[QWidget, Sequence[str], int], str | None]


def needs_scope_message(count: int, scopes: Sequence[str]) -> str:
    files = f"{count:,} dropped file{'s are' if count != 1 else ' is'}"
    return (
        f"{files} outside every scope folder ({', '.join(scopes)}): which scope do they "
        "belong to? They wait as \u201cNeeds a scope\u201d until you choose."
    )


def ask_scope(parent: QWidget, scopes: Sequence[str], count: int) -> str | None:
    files = f"{count:,} file{'s' if count != 1 else ''}"
    scope, ok = QInputDialog.getItem(
        parent,
        "Set scope",
        f"{files} outside every scope folder ({', '.join(scopes)}).\n"
        "Upload them to the bucket and prefix of:",
        list(scopes),
        0,
        False,
    )
    return scope if ok and scope else None
