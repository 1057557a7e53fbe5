"""Windows and dialogs that fit the screen: 1024×700, or QT_SCALE_FACTOR=2 (512×350 points).

* `fit_to_screen(widget)` — no larger than the free area of its screen (capped
  to what the content allows: its layout is activated first), and inside it:
  a dialog is centred over its parent, a window moved back in when it sticks
  out. It refits each time the widget is shown (a dialog reused or refilled).
* `scroll_body(dialog)` — the dialog's content goes into the returned widget,
  which sits in a frameless scroll area: content taller or wider than the
  screen scrolls instead of pushing the dialog off it.
* `FlowLayout` — a row of buttons that wraps onto more lines when the width is
  short, instead of forcing the dialog's minimum width to the sum of them all.
  With `keep_lines` its minimum height is that of its lines once laid out (as
  `WrapLabel`'s, a label that wraps): a squeezed tab page then scrolls instead of
  cutting the last lines off.
* `width_of_shown_tab(tabs)` — the tab widget as narrow (and as short) as its shown
  page allows, not as its widest page (a hidden page does not widen the window).
* `when_narrow(widget, below, apply)` — `apply(True)` while the widget is narrower
  than `below`, `apply(False)` when it is wide again; `hide_columns_when_narrow`
  and `stack_when_narrow` are its two uses (a 512-point window: 1024 px at 200 %).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QLabel,
    QLayout,
    QLayoutItem,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
    QWidgetItem,
)

_FIT_PROPERTY = "_hmaFitsScreen"


def available_geometry(widget: QWidget) -> QRect:
    """The free area (without panels and docks) of the widget's screen, in Qt's points."""
    parent = widget.parentWidget()
    screen = widget.screen() or (parent.screen() if parent is not None else None)
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect(0, 0, 1024, 700)


def fit_to_screen(widget: QWidget, available: QRect | None = None, *, centre: bool = True) -> bool:
    """Cap `widget` to the free area and place it inside; whether its minimum fits there.

    `available` stands in for the screen (tests). With `centre` a widget is centred
    over its parent's window (or the free area) when it is resized or sticks out.
    """
    free = available if available is not None else available_geometry(widget)
    if available is None and widget.property(_FIT_PROPERTY) is None:
        widget.setProperty(_FIT_PROPERTY, centre)  # and again at each show
        widget.installEventFilter(_REFIT)
    layout = widget.layout()
    if layout is not None:
        layout.activate()  # the minimum size of the content as it is now
    frame = widget.frameGeometry().size() - widget.geometry().size()
    room = QSize(max(1, free.width() - frame.width()), max(1, free.height() - frame.height()))
    size = widget.size().boundedTo(room).expandedTo(widget.minimumSize())
    resized = size != widget.size()
    if resized:
        widget.resize(size)
    outer = QRect(widget.frameGeometry().topLeft(), size + frame)
    if centre and (resized or not free.contains(outer) or not widget.isVisible()):
        parent = widget.parentWidget()
        anchor = parent.window().frameGeometry().center() if parent is not None else free.center()
        outer.moveCenter(anchor)
    outer.moveLeft(max(free.left(), min(outer.left(), free.right() + 1 - outer.width())))
    outer.moveTop(max(free.top(), min(outer.top(), free.bottom() + 1 - outer.height())))
    if outer.topLeft() != widget.frameGeometry().topLeft():
        widget.move(outer.topLeft())
    return widget.minimumWidth() <= room.width() and widget.minimumHeight() <= room.height()


def size_to_content(dialog: QWidget, width: int) -> None:
    """`width` wide and as tall as its `scroll_body` content needs there, then fitted."""
    body = dialog.findChild(QWidget, "dialogBody")
    if body is not None:
        layout = body.layout()
        if layout is not None:
            layout.activate()
        height = body.heightForWidth(width) if body.hasHeightForWidth() else -1
        dialog.resize(width, max(height, body.sizeHint().height()))
    fit_to_screen(dialog)


def width_of_shown_tab(tabs: QTabWidget) -> None:
    """Only the shown page counts for the tabs' minimum and preferred sizes.

    A `QTabWidget` is as wide and as tall as its largest page, shown or not; a
    hidden page's policies are set to Ignored here (and given back when it is
    shown): a page whose rows wrap at 512 points does not make the others taller.
    """
    policies: dict[QWidget, tuple[QSizePolicy.Policy, QSizePolicy.Policy]] = {}
    ignored = (QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def shown(current: int) -> None:
        for index in range(tabs.count()):
            page = tabs.widget(index)
            if page is None:
                continue
            policy = page.sizePolicy()
            now = (policy.horizontalPolicy(), policy.verticalPolicy())
            own = policies.setdefault(page, now)
            wanted = own if index == current else ignored
            if now != wanted:
                policy.setHorizontalPolicy(wanted[0])
                policy.setVerticalPolicy(wanted[1])
                page.setSizePolicy(policy)

    tabs.currentChanged.connect(shown)
    shown(tabs.currentIndex())


class _Narrow(QObject):
    """Calls `apply(narrow)` at each resize of `widget` (the callee keeps it cheap)."""

    def __init__(self, widget: QWidget, below: int, apply: Callable[[bool], None]) -> None:
        super().__init__(widget)
        self._widget, self._below, self._apply = widget, below, apply
        widget.installEventFilter(self)
        self.refresh()

    def refresh(self) -> None:
        if shiboken6.isValid(self._widget):  # not while it is being destroyed (its model resets)
            self._apply(self._widget.width() < self._below)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.refresh()
        return False


def when_narrow(widget: QWidget, below: int, apply: Callable[[bool], None]) -> QObject:
    """The returned object (a child of `widget`) has `refresh()`: apply again now."""
    return _Narrow(widget, below, apply)


def hide_columns_when_narrow(
    view: QTableView | QTreeView, hides: Iterable[tuple[int, int]]
) -> None:
    """Each (column, width): the column hidden while the view is narrower than the width.
    Below that the view scrolls sideways inside itself, not the window."""
    for column, below in hides:

        def apply(narrow: bool, column: int = column) -> None:
            if view.isColumnHidden(column) != narrow:
                view.setColumnHidden(column, narrow)

        narrow = _Narrow(view, below, apply)
        model = view.model()
        if model is not None:  # a reset shows every column again
            model.modelReset.connect(narrow.refresh)


def stack_when_narrow(owner: QWidget, row: QBoxLayout, below: int) -> None:
    """`row` left to right, top to bottom while `owner` is narrower than `below`."""
    down, across = QBoxLayout.Direction.TopToBottom, QBoxLayout.Direction.LeftToRight

    def apply(narrow: bool) -> None:
        if row.direction() != (down if narrow else across):
            row.setDirection(down if narrow else across)

    when_narrow(owner, below, apply)


class WrapLabel(QLabel):
    """A word-wrapped label whose minimum height is that of its lines at its width."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self._height = 0

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        if self.width() > 0 and self.text():
            hint.setHeight(max(hint.height(), self.heightForWidth(self.width())))
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        height = self.heightForWidth(self.width())
        if height != self._height:  # more or fewer lines: the layouts above ask again
            self._height = height
            self.updateGeometry()


class _Refit(QObject):
    """Fits a widget again when it is shown (its content may have grown meanwhile)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        shown = event.type() == QEvent.Type.Show
        if shown and isinstance(watched, QWidget) and watched.isWindow():
            centre = bool(watched.property(_FIT_PROPERTY))
            fit_to_screen(watched, available_geometry(watched), centre=centre)
        return False


_REFIT = _Refit()


class _Body(QWidget):
    """A dialog's content in its scroll area: it scrolls only below its *minimum* height.

    A scroll area asks a content with wrapping text for its `heightForWidth`, which
    a box layout answers with the preferred heights; here the stretching items (a
    table, the tabs) count with their minimum, so a short dialog shrinks them first.
    """

    def heightForWidth(self, width: int) -> int:
        layout = self.layout()
        vertical = QBoxLayout.Direction.TopToBottom
        if not isinstance(layout, QBoxLayout) or layout.direction() != vertical:
            return super().heightForWidth(width)
        margins = layout.contentsMargins()
        inner = width - margins.left() - margins.right()
        heights = []
        for index in range(layout.count()):
            item = layout.itemAt(index)
            if item is None:
                continue
            if item.spacerItem() is not None:
                heights.append(item.minimumSize().height())
            elif not item.isEmpty():
                stretches = layout.stretch(index) > 0
                fits = item.hasHeightForWidth() and not stretches
                heights.append(item.heightForWidth(inner) if fits else item.minimumSize().height())
        spacing = max(0, layout.spacing()) * max(0, len(heights) - 1)
        return sum(heights) + spacing + margins.top() + margins.bottom()


ScrollBody = _Body  # the main window's content too (`window_state.scrolling_central`)


def scroll_body(dialog: QWidget) -> QWidget:
    """A widget for the dialog's content, in a frameless scroll area filling the dialog."""
    body = _Body()
    body.setObjectName("dialogBody")
    scroll = QScrollArea()
    scroll.setObjectName("dialogScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(body)
    outer = QVBoxLayout(dialog)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return body


def wrap_row(
    *widgets: QWidget, spacing: int = 6, align_right: bool = False, keep_lines: bool = False
) -> QWidget:
    """The widgets in a row that wraps (a `FlowLayout`) on a plain widget."""
    row = QWidget()
    layout = FlowLayout(row, spacing=spacing, align_right=align_right, keep_lines=keep_lines)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget)
    return row


class FlowLayout(QLayout):
    """Items left to right, wrapping onto the next line when the width runs out.

    Its minimum width is that of its widest item; its height follows the width
    (`heightForWidth`), so a dialog narrower than the row grows a line instead.
    With `align_right` every line is pushed to the right (dialog buttons).
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        spacing: int = 6,
        align_right: bool = False,
        keep_lines: bool = False,
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.align_right = align_right
        self.keep_lines = keep_lines
        self._height = 0  # as laid out last

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def addWidget(self, widget: QWidget) -> None:
        self.addChildWidget(widget)
        self.addItem(QWidgetItem(widget))
        self.invalidate()

    def take_widget(self, widget: QWidget) -> None:
        """Out of the row (to be added to another layout); the item goes in Python,
        not through `QLayout.removeWidget`, which deletes it in C++."""
        self._items = [item for item in self._items if item.widget() is not widget]
        self.invalidate()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        height = self._arrange(rect, apply=True)
        if height != self._height and self.keep_lines:  # more or fewer lines: a new minimum
            self._height = height
            owner = self.parentWidget()
            if owner is not None:
                owner.updateGeometry()  # the layouts above ask again (a posted event)

    def sizeHint(self) -> QSize:
        shown = [i for i in self._items if not i.isEmpty()]
        width = sum(i.sizeHint().width() for i in shown) + self._spacing * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        margins = self.contentsMargins()
        return QSize(width, height) + QSize(
            margins.left() + margins.right(), margins.top() + margins.bottom()
        )

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        size += QSize(margins.left() + margins.right(), margins.top() + margins.bottom())
        width = self.geometry().width()  # laid out: as tall as its lines there, at least, so
        if width > 0 and self.keep_lines:  # a squeezed layout above does not cut lines off
            size.setHeight(max(size.height(), self.heightForWidth(width)))
        return size

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        """Lay the items out in `rect` (when `apply`); the height they take."""
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        lines: list[list[tuple[QLayoutItem, QSize]]] = [[]]
        used = 0
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint().boundedTo(QSize(max(1, area.width()), 1 << 20))
            need = hint.width() + (self._spacing if lines[-1] else 0)
            if lines[-1] and used + need > area.width():
                lines.append([])
                used, need = 0, hint.width()
            lines[-1].append((item, hint))
            used += need
        y = area.top()
        for line in lines:
            if not line:
                continue
            height = max(hint.height() for _, hint in line)
            width = sum(h.width() for _, h in line) + self._spacing * (len(line) - 1)
            x = area.left() + (max(0, area.width() - width) if self.align_right else 0)
            for item, hint in line:
                if apply:
                    top = y + (height - hint.height()) // 2
                    item.setGeometry(QRect(QPoint(x, top), hint))
                x += hint.width() + self._spacing
            y += height + self._spacing
        return max(0, y - self._spacing - area.top()) + margins.top() + margins.bottom()
