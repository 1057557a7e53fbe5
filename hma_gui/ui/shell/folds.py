"""Small screens: the drop zone and the queue card fold away, by hand or when the window is short.

Each part has a toggle in its own header and a checkable item in the View menu;
what the user chose is remembered in ``window.ini``. Below a height of the
window's content area a part folds by itself (the drop zone to a one-line strip,
the queue card to its header and bar), and below a smaller one the drop zone
row and the window's header go (File › Add files…, drops on the window, Queue ›
Run ETL and File › Settings… still work); unfolding it by
hand while the window is short keeps it open until the window is tall again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFrame, QMenu, QScrollArea, QToolButton, QWidget

DROP_STRIP_BELOW = 760  # content height (px, points at 200 %) under which the drop zone is a strip
QUEUE_FOLD_BELOW = 720  # … the queue card shows its header, bar and figures only
TINY_BELOW = 440  # … the drop zone row and the header hide, the queue card shows its header only


def fold_button(tip: str) -> QToolButton:
    """The small arrow in a card's header: up folds the card, down unfolds it."""
    button = QToolButton()
    button.setObjectName("foldButton")
    button.setAutoRaise(True)
    button.setArrowType(Qt.ArrowType.UpArrow)
    button.setToolTip(tip)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    return button


def show_folded(button: QToolButton, folded: bool) -> None:
    button.setArrowType(Qt.ArrowType.DownArrow if folded else Qt.ArrowType.UpArrow)


def scrolled(page: QWidget) -> QScrollArea:
    """A tab page in a frameless scroll area: its height no longer sets the tabs' minimum."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(page)
    return scroll


@dataclass
class Fold:
    """One foldable part: `apply(folded, tiny)` shows it so."""

    key: str
    below: int
    apply: Callable[[bool, bool], None]
    button: QToolButton
    action: QAction
    user_folded: bool = False
    forced_open: bool = False  # unfolded by hand while the window is short
    folded: bool = False


class Folds(QObject):
    """Watches the content area's height and folds the parts; the toggles and menu items."""

    def __init__(self, area: QWidget, menu: QMenu, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.area = area
        self.menu = menu
        self.parts: dict[str, Fold] = {}
        self.height = area.height()
        area.installEventFilter(self)

    def add(
        self,
        key: str,
        text: str,
        below: int,
        button: QToolButton,
        apply: Callable[[bool, bool], None],
    ) -> Fold:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setChecked(True)
        self.menu.addAction(action)
        fold = Fold(key, below, apply, button, action)
        self.parts[key] = fold
        button.clicked.connect(lambda _=False: self.toggle(key))
        action.triggered.connect(lambda _=False: self.toggle(key))
        self._apply(fold)
        return fold

    def toggle(self, key: str) -> None:
        """The user folds or unfolds `key` (its header's arrow, the View menu)."""
        fold = self.parts[key]
        folded = not fold.folded
        fold.user_folded = folded
        fold.forced_open = not folded and self.height < fold.below
        self._apply(fold)

    def restore(self, folded: dict[str, bool]) -> None:
        for key, value in folded.items():
            if key in self.parts:
                self.parts[key].user_folded = value
                self._apply(self.parts[key])

    def chosen(self) -> dict[str, bool]:
        """What the user chose (not what the window's height did): for ``window.ini``."""
        return {key: fold.user_folded for key, fold in self.parts.items()}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.area and event.type() == QEvent.Type.Resize:
            self.height = self.area.height()
            for fold in self.parts.values():
                if self.height >= fold.below:
                    fold.forced_open = False
                self._apply(fold)
        return False

    def _apply(self, fold: Fold) -> None:
        short = self.height < fold.below and not fold.forced_open
        folded = fold.user_folded or short
        tiny = folded and self.height < TINY_BELOW and not fold.forced_open
        fold.folded = folded
        show_folded(fold.button, folded)
        fold.action.setChecked(not folded)
        fold.apply(folded, tiny)


class _Card(Protocol):
    def set_folded(self, folded: bool) -> None: ...

    def setVisible(self, visible: bool) -> None: ...


class _QueueCard(Protocol):
    fold_button: QToolButton

    def set_folded(self, folded: bool, tiny: bool = False) -> None: ...


class _Header(Protocol):
    def set_hidden_for_room(self, hidden: bool) -> None: ...


def install(
    window: QObject,
    area: QWidget | None,
    menu: QMenu,
    drops: _Card,
    drop_button: QToolButton,
    options: _Card,
    queue: _QueueCard,
    header: _Header,
) -> Folds:
    """The drop zone (with the upload options beside it) and the queue card, foldable;
    tiny, the window's header goes too (its buttons are in the menus, the sandbox
    badge moves to the status bar)."""
    assert area is not None  # the window's central scroll area
    menu.addSeparator()
    folds = Folds(area, menu, window)
    body = area.widget() if isinstance(area, QScrollArea) else None
    content = body.layout() if body is not None else None

    def fold_drops(folded: bool, tiny: bool) -> None:
        for card in (drops, options):
            card.set_folded(folded)
            card.setVisible(not tiny)
        header.set_hidden_for_room(tiny)
        if content is not None:  # tiny: tighter spacing too
            content.setSpacing(6 if tiny else 12)
            content.setContentsMargins(*((8, 4, 8, 4) if tiny else (12, 10, 12, 8)))

    folds.add("drop_zone", "Drop zone", DROP_STRIP_BELOW, drop_button, fold_drops)
    folds.add("queue_card", "Queue card", QUEUE_FOLD_BELOW, queue.fold_button, queue.set_folded)
    return folds
