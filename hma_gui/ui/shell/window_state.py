"""The window's geometry and the table's columns, remembered in ``window.ini``.

An INI file next to ``settings.toml`` rather than QSettings' platform default,
so `HMA_CONFIG_DIR` moves it too (tests, portable installs).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QFrame, QHeaderView, QMainWindow, QScrollArea, QWidget

from hma_gui.core import app_dirs
from hma_gui.ui.shell import fit_screen

DEFAULT_SIZE = (1240, 820)


def _stored() -> QSettings:
    return QSettings(str(app_dirs.config_dir() / "window.ini"), QSettings.Format.IniFormat)


FOLDS = ("drop_zone", "queue_card")  # parts folded by the user (`folds.Folds.chosen`)


def restore(window: QMainWindow, header: QHeaderView) -> dict[str, bool]:
    """Geometry and columns; returns the parts the user had folded."""
    stored = _stored()
    if stored.contains("geometry"):
        geometry = stored.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            window.restoreGeometry(geometry)
    else:
        window.resize(*DEFAULT_SIZE)
    if stored.contains("table_header"):
        state = stored.value("table_header")
        if isinstance(state, QByteArray) and not state.isEmpty():
            header.restoreState(state)
    return {
        key: _flag(stored.value(f"folded/{key}"))
        for key in FOLDS
        if stored.contains(f"folded/{key}")
    }


def _flag(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def scrolling_central(window: QMainWindow) -> QWidget:
    """The window's content widget, in a scroll area: at QT_SCALE_FACTOR=2 or on a small
    screen the window still fits the screen (`fit_to_screen`) and scrolls instead."""
    central = fit_screen.ScrollBody()  # short, the tabs shrink before it scrolls
    central.setObjectName("central")
    scroll = QScrollArea()
    scroll.setObjectName("centralScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(central)
    window.setCentralWidget(scroll)
    return central


def fit_to_screen(window: QWidget) -> None:
    """No larger than the screen's free area (a restored or default size may be), and on it;
    a restored position that fits is kept (`fit_screen.fit_to_screen`)."""
    fit_screen.fit_to_screen(window, centre=False)


def save(window: QMainWindow, header: QHeaderView, folded: Mapping[str, bool] = {}) -> None:
    try:
        app_dirs.ensure_dir(app_dirs.config_dir())
    except OSError:
        return  # a read-only config directory: nothing to remember, nothing to lose
    stored = _stored()
    stored.setValue("geometry", window.saveGeometry())
    stored.setValue("table_header", header.saveState())
    for key, value in folded.items():
        stored.setValue(f"folded/{key}", value)
    stored.sync()
