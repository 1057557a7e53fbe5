"""The look: a light and a dark palette, a style sheet, and the colours of job states.

Fusion with an explicit palette looks the same on every OS and does not pick
half of a dark system theme. Widgets opt into styled variants through object
names and the ``role`` property (``card``, ``tile``, ``badge``, ``chip``...),
so the style sheet is the one place that says how they look.

The scheme follows the desktop (`QStyleHints.colorScheme`, and its
``colorSchemeChanged`` signal for a live switch): `set_dark` rebinds the colour
names below to the scheme's values, the palette and the style sheet are set
again, and icons (`icons`) look their colour up through `current` when they
are painted, so they change too.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from hma_gui.core import app_dirs
from hma_gui.core.jobs.store import JobState

ACCENT = "#2563eb"
ACCENT_SOFT = "#dbeafe"
WINDOW = "#f3f5f9"
CARD = "#ffffff"
BORDER = "#e2e7ef"
TEXT = "#1e293b"
TEXT_SECONDARY = "#475569"
TEXT_MUTED = "#8592a6"
SUCCESS = "#16a34a"
DANGER = "#dc2626"
WARNING = "#d97706"
NEUTRAL = "#64748b"
TO_DECIDE = "#db2777"  # files waiting for a duplicate decision (state, tile, tab)
SENT = "#0891b2"  # jobs a shared queue's workers run (the Sent tile)
TRACK = "#e8edf4"  # the empty part of progress bars
PANEL = "#f8fafc"  # the chart's background inside a card

_NAMES = (
    "ACCENT", "ACCENT_SOFT", "WINDOW", "CARD", "BORDER", "TEXT", "TEXT_SECONDARY",
    "TEXT_MUTED", "SUCCESS", "DANGER", "WARNING", "NEUTRAL", "TO_DECIDE", "SENT", "TRACK",
    "PANEL",
)  # fmt: skip
LIGHT: dict[str, str] = {name: globals()[name] for name in _NAMES}
DARK: dict[str, str] = {
    "ACCENT": "#3b82f6", "ACCENT_SOFT": "#1e3a5f", "WINDOW": "#0f172a", "CARD": "#1b2433",
    "BORDER": "#334155", "TEXT": "#e2e8f0", "TEXT_SECONDARY": "#cbd5e1",
    "TEXT_MUTED": "#94a3b8", "SUCCESS": "#22c55e", "DANGER": "#f87171", "WARNING": "#fbbf24",
    "NEUTRAL": "#8b9bb4", "TO_DECIDE": "#f472b6", "SENT": "#22d3ee", "TRACK": "#2e3a4d",
    "PANEL": "#162031",
}  # fmt: skip
# A colour of either scheme -> its name (every value is one name's only).
_NAME_OF = {value: name for scheme in (LIGHT, DARK) for name, value in scheme.items()}
assert len(_NAME_OF) == 2 * len(_NAMES), "a colour value stands for two names"
dark = False  # the scheme in use (`set_dark`)


def _state_colors() -> dict[JobState, str]:
    return {
        JobState.QUEUED: NEUTRAL,
        JobState.RUNNING: ACCENT,
        JobState.DONE: SUCCESS,
        JobState.FAILED: DANGER,
        JobState.SKIPPED: WARNING,
        JobState.WAITING: TO_DECIDE,
        JobState.NEEDS_SCOPE: WARNING,
    }


STATE_COLORS: dict[JobState, str] = _state_colors()

STATE_LABELS: dict[JobState, str] = {
    JobState.QUEUED: "Queued",
    JobState.RUNNING: "Uploading",
    JobState.DONE: "Uploaded",
    JobState.FAILED: "Failed",
    JobState.SKIPPED: "Skipped",
    JobState.WAITING: "To decide",
    JobState.NEEDS_SCOPE: "Needs a scope",
}

SENT_LABEL = "Sent"  # a running job a shared queue's worker runs (`shared_links.SENT_OWNER`)

# The message of a waiting job (the store keeps the state, not words).
WAITING_MESSAGE = "waiting for your duplicate decision (Duplicates tab: Review duplicates…)"


def current(color: str) -> str:
    """`color`, a value of either scheme's names, in the scheme in use; others as they are."""
    name = _NAME_OF.get(color.lower())
    return (DARK if dark else LIGHT)[name] if name else color


_QCOLORS: dict[str, QColor] = {}


def qcolor(value: str) -> QColor:
    """`QColor(value)`, made once (painting code asks for the same few many times)."""
    found = _QCOLORS.get(value)
    if found is None:
        found = _QCOLORS[value] = QColor(value)
    return found


def ink(color: str) -> QColor:
    """The colour `color` (a value of either scheme) has in the scheme in use, as a QColor:
    what a model gives for ForegroundRole, asked at each paint, so a live switch shows."""
    return qcolor(current(color))


def set_dark(on: bool) -> None:
    """Use the dark (or light) values for the colour names and the state colours."""
    global dark
    dark = on
    globals().update(DARK if on else LIGHT)
    STATE_COLORS.update(_state_colors())


def palette() -> QPalette:
    shades = (
        ("#243043", "#2b3648", "#0b1220", "#000000", "#64748b")
        if dark
        else ("#f8fafc", "#eef2f7", "#cbd5e1", "#94a3b8", "#a0aab8")
    )
    alternate, midlight, darker, shadow, disabled = shades
    colors = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: CARD,
        QPalette.ColorRole.AlternateBase: alternate,
        QPalette.ColorRole.ToolTipBase: "#1e293b",
        QPalette.ColorRole.ToolTipText: "#f8fafc",
        QPalette.ColorRole.PlaceholderText: TEXT_MUTED,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: CARD,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Mid: BORDER,
        QPalette.ColorRole.Midlight: midlight,
        QPalette.ColorRole.Dark: darker,
        QPalette.ColorRole.Shadow: shadow,
    }
    result = QPalette()
    for role, color in colors.items():
        result.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        result.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return result


def style_sheet() -> str:
    path = app_dirs.resource_path("styles", "app.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    if dark:  # the sheet's own light tints (before the @names bring in dark values)
        text = _HEX.sub(lambda m: _DARK_TINTS.get(m.group(0).lower(), m.group(0)), text)
    replacements = {
        "@tooltip-base": "#1e293b",
        "@tooltip-text": "#f8fafc",
        "@icons": app_dirs.resource_path("icons").as_posix(),
        "@accent-soft": ACCENT_SOFT,
        "@accent": ACCENT,
        "@window": WINDOW,
        "@card": CARD,
        "@border": BORDER,
        "@text-secondary": TEXT_SECONDARY,
        "@text-muted": TEXT_MUTED,
        "@text": TEXT,
        "@success": SUCCESS,
        "@danger": DANGER,
        "@warning": WARNING,
    }
    for name, value in replacements.items():
        text = text.replace(name, value)
    return text


def apply(app: QApplication) -> None:
    """Fusion, the palette, a readable default font and the style sheet, in the desktop's
    colour scheme, and again in the new one whenever the desktop switches."""
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    follow_desktop(app)


def follow_desktop(app: QApplication) -> None:
    """Use the desktop's colour scheme now and follow its changes (once per app)."""
    hints = app.styleHints()
    if not app.property("hmaFollowsScheme"):
        app.setProperty("hmaFollowsScheme", True)
        hints.colorSchemeChanged.connect(lambda scheme: use_scheme(app, scheme))
    use_scheme(app, hints.colorScheme(), force=True)


def use_scheme(app: QApplication, scheme: Qt.ColorScheme, *, force: bool = False) -> None:
    """Switch to `scheme` (Unknown: light): colour names, palette, style sheet, repaint."""
    on = scheme == Qt.ColorScheme.Dark
    if on == dark and not force:
        return
    set_dark(on)
    app.setPalette(palette())
    app.setStyleSheet(style_sheet())
    for widget in app.allWidgets():  # icons and hand-painted widgets read the new colours
        widget.update()


_HEX = re.compile(r"#[0-9a-fA-F]{6}\b")
# The style sheet's literal light tints -> their dark counterparts.
_DARK_TINTS = {
    "#fef3c7": "#3b2f12", "#92400e": "#fcd34d", "#fcd34d": "#92400e", "#f8fbff": "#172033",
    "#b6c8e6": "#3b4f73", "#f8fafc": "#1a2436", "#edf1f6": "#2a3547", "#eef2f7": "#263042",
    "#dcfce7": "#14361f", "#166534": "#86efac", "#d5dce6": "#3a4659", "#f5f8fc": "#253044",
    "#b9c5d6": "#4b5a70", "#eaf0f7": "#2c3849", "#a0aab8": "#6b7689", "#f6f8fb": "#1c2536",
    "#e3e8ef": "#2c3646", "#1d4ed8": "#2563eb", "#a9c0f0": "#34507f", "#e9eef5": "#2a3446",
    "#1e40af": "#bfdbfe", "#bfd3f8": "#34507f", "#fef2f2": "#3a1a1d", "#fecaca": "#7f2a2f",
    "#eff6ff": "#172a4a", "#bfdbfe": "#2f4a78", "#fffbeb": "#33290f", "#fde68a": "#6b5314",
    "#f9fbfd": "#222c3d", "#fbfcfe": "#1d2738",
}  # fmt: skip
