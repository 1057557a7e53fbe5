"""The look: one light palette, a style sheet, and the colours of job states.

Fusion with an explicit palette looks the same on every OS and does not pick
half of a dark system theme. Widgets opt into styled variants through object
names and the ``role`` property (``card``, ``tile``, ``badge``, ``chip``...),
so the style sheet is the one place that says how they look.
"""

from __future__ import annotations

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

STATE_COLORS: dict[JobState, str] = {
    JobState.QUEUED: NEUTRAL,
    JobState.RUNNING: ACCENT,
    JobState.DONE: SUCCESS,
    JobState.FAILED: DANGER,
    JobState.SKIPPED: WARNING,
    JobState.WAITING: TO_DECIDE,
    JobState.NEEDS_SCOPE: WARNING,
}

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


def palette() -> QPalette:
    colors = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: CARD,
        QPalette.ColorRole.AlternateBase: "#f8fafc",
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
        QPalette.ColorRole.Midlight: "#eef2f7",
        QPalette.ColorRole.Dark: "#cbd5e1",
        QPalette.ColorRole.Shadow: "#94a3b8",
    }
    result = QPalette()
    for role, color in colors.items():
        result.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        result.setColor(QPalette.ColorGroup.Disabled, role, QColor("#a0aab8"))
    return result


def style_sheet() -> str:
    path = app_dirs.resource_path("styles", "app.qss")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ""
    replacements = {
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
    """Fusion, the palette, a readable default font and the style sheet."""
    style = QStyleFactory.create("Fusion")
    if style is not None:
        app.setStyle(style)
    app.setPalette(palette())
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(style_sheet())
