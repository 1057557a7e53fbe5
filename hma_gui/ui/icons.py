"""Line icons drawn from small inline SVGs, tinted on demand; and the app icon.

Inline rather than files so that a colour is one argument, and the bundle has
nothing extra to find. The app icon is a real file (`resources/icons`) because
packaging derives PNG/ICO/ICNS from it. An icon's colour is looked up in the
colour scheme in use when it is painted (`theme.current`), so a switch to the
dark scheme re-colours the icons already on buttons and in tables.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleOption

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobState
from hma_gui.ui import theme

_STROKE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="{color}" '
    'stroke-width="{width}" stroke-linecap="round" stroke-linejoin="round">{body}</svg>'
)

GLYPHS: dict[str, str] = {
    "play": '<path d="M7 4.5v15l12-7.5z" fill="{color}"/>',
    "pause": '<rect x="6" y="4.5" width="4" height="15" rx="1" fill="{color}"/>'
    '<rect x="14" y="4.5" width="4" height="15" rx="1" fill="{color}"/>',
    "stop": '<rect x="5.5" y="5.5" width="13" height="13" rx="2" fill="{color}"/>',
    "file-plus": '<path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z"/>'
    '<path d="M14 3v5h5"/><path d="M12 11v6M9 14h6"/>',
    "folder-plus": '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2H5'
    'a2 2 0 0 1-2-2z"/><path d="M12 10.5v5M9.5 13h5"/>',
    "sliders": '<path d="M4 6h9M17 6h3M4 12h3M11 12h9M4 18h11M19 18h1"/>'
    '<circle cx="15" cy="6" r="2"/><circle cx="9" cy="12" r="2"/><circle cx="17" cy="18" r="2"/>',
    "retry": '<path d="M20 11a8 8 0 1 0-2.3 5.7"/><path d="M20 4v7h-7"/>',
    "trash": '<path d="M4 7h16M10 11v6M14 11v6"/><path d="M6 7l1 12a2 2 0 0 0 2 2h6a2 2 0 0 0 '
    '2-2l1-12"/><path d="M9 7V4h6v3"/>',
    "broom": '<path d="M4 20l7-7"/><path d="M13 4l7 7-5 5-7-7z"/><path d="M9 9l6 6"/>',
    "upload-cloud": '<path d="M7 18a5 5 0 0 1-.6-9.96A6.5 6.5 0 0 1 19 9.5a4.5 4.5 0 0 1-1 8.5"/>'
    '<path d="M12 12v9M8.5 15.5L12 12l3.5 3.5"/>',
    "search": '<circle cx="11" cy="11" r="6.5"/><path d="M20 20l-4.2-4.2"/>',
    "copy": '<rect x="8" y="8" width="12" height="12" rx="2"/>'
    '<path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"/>',
    "folder-open": '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h7a2 2 0 0 1 2 2v1"/>'
    '<path d="M3 7v10a2 2 0 0 0 2 2h12.5l3.5-8H7.5L4.8 17"/>',
    "alert": '<path d="M12 3l10 18H2z"/><path d="M12 10v4M12 17.5v.01"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.01"/>',
    "close": '<path d="M6 6l12 12M18 6L6 18"/>',
    "log": '<path d="M5 5h14M5 10h14M5 15h9M5 20h6"/>',
    "list": '<path d="M9 6h11M9 12h11M9 18h11"/><circle cx="4.5" cy="6" r="1"/>'
    '<circle cx="4.5" cy="12" r="1"/><circle cx="4.5" cy="18" r="1"/>',
    "plus": '<path d="M12 5v14M5 12h14"/>',
    "minus": '<path d="M5 12h14"/>',
    "database": '<ellipse cx="12" cy="5.5" rx="7.5" ry="2.8"/>'
    '<path d="M4.5 5.5v13c0 1.5 3.4 2.8 7.5 2.8s7.5-1.3 7.5-2.8v-13"/>'
    '<path d="M4.5 12c0 1.5 3.4 2.8 7.5 2.8s7.5-1.3 7.5-2.8"/>',
}

# State badges: a filled circle with a white glyph.
_STATE_GLYPH: dict[JobState, str] = {
    JobState.QUEUED: '<path d="M12 7.5V12l3 2" stroke="#fff" stroke-width="2.2"/>',
    JobState.RUNNING: '<path d="M12 17V8M8.5 11.5L12 8l3.5 3.5" stroke="#fff" stroke-width="2.2"/>',
    JobState.DONE: '<path d="M7.5 12.5l3 3 6-6.5" stroke="#fff" stroke-width="2.4"/>',
    JobState.FAILED: '<path d="M8.5 8.5l7 7M15.5 8.5l-7 7" stroke="#fff" stroke-width="2.4"/>',
    JobState.SKIPPED: '<path d="M8 12h8" stroke="#fff" stroke-width="2.4"/>',
    JobState.WAITING: '<path d="M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .8-1 1.5v.7" stroke="#fff"'
    ' stroke-width="2.2"/><circle cx="12" cy="17" r="1.2" fill="#fff"/>',
    # a folder: the file waits for a scope folder to be chosen (not the waiting "?")
    JobState.NEEDS_SCOPE: '<path d="M7 8.5h3.5l1.5 1.6h5v6.4H7z" stroke="#fff" stroke-width="2"/>',
}


def _render(svg: str, size: int) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def _icon_from_svg(svg: str, sizes: tuple[int, ...] = (16, 20, 24, 32, 48, 64)) -> QIcon:
    icon = QIcon()
    for size in sizes:
        icon.addPixmap(_render(svg, size))
    return icon


class SchemeIconEngine(QIconEngine):
    """Renders `svg()` (the SVG in the scheme's colours) at the size asked, cached per scheme."""

    def __init__(self, svg: Callable[[], str]) -> None:
        super().__init__()
        self._svg = svg
        self._cache: dict[tuple[int, int, bool, bool], QPixmap] = {}

    def clone(self) -> QIconEngine:
        return SchemeIconEngine(self._svg)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        side = max(1, round(min(size.width(), size.height()) * scale))
        disabled = mode == QIcon.Mode.Disabled
        key = (side, round(scale * 100), disabled, theme.dark)
        found = self._cache.get(key)
        if found is None:
            found = _render(self._svg(), side)
            style = QApplication.style() if disabled else None
            if style is not None:
                found = style.generatedIconPixmap(mode, found, QStyleOption())
            found.setDevicePixelRatio(scale)
            self._cache[key] = found
        return found

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        scale = painter.device().devicePixelRatioF() if painter.device() else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, scale))


def _stroked(name: str, color: str, width: float) -> str:
    shown = theme.current(color)
    body = GLYPHS[name].replace("{color}", shown)
    return _STROKE.format(color=shown, width=width, body=body)


@cache
def icon(name: str, color: str = theme.TEXT_SECONDARY, width: float = 1.9) -> QIcon:
    """A line icon from `GLYPHS`, stroked (and filled where the glyph says) in `color`,
    or the same colour's value in the scheme in use when it is painted."""
    if name not in GLYPHS:  # fail here, not at the first paint
        raise KeyError(name)
    return QIcon(SchemeIconEngine(lambda: _stroked(name, color, width)))


def pixmap(name: str, size: int, color: str = theme.TEXT_SECONDARY, width: float = 1.9) -> QPixmap:
    """A rendered icon (for labels), in the colours of the scheme in use now."""
    return _render(_stroked(name, color, width), size)


def _state_svg(state: JobState) -> str:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
        'stroke-linecap="round" stroke-linejoin="round">'
        f'<circle cx="12" cy="12" r="10" fill="{theme.STATE_COLORS[state]}"/>'
        f"{_STATE_GLYPH[state]}</svg>"
    )


@cache
def state_icon(state: JobState) -> QIcon:
    return QIcon(SchemeIconEngine(lambda: _state_svg(state)))


@cache
def app_icon() -> QIcon:
    path = app_dirs.resource_path("icons", "hma-ingest.svg")
    if not path.exists():
        return icon("upload-cloud", theme.ACCENT)
    return _icon_from_svg(path.read_text(encoding="utf-8"), (16, 24, 32, 48, 64, 128, 256))
