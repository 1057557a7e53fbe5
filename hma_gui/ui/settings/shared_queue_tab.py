"""The settings dialog's *Shared queue* tab: the queue URL and the path map.

With a queue other than ``local``, drops still run discovery and the duplicate
review here, then go to the shared queue for the workers instead of this
window's uploads. The path map tells workers where this computer's folders are
on their machines, one ``this computer's folder = the workers' folder`` a line.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from hma_gui.core.config.settings import Settings

LABELS = {"queue_url": "Shared queue", "queue_path_map": "Path map"}


def parse_path_map(text: str) -> dict[str, str]:
    """``desktop = worker`` lines → a mapping (blank lines and ``#`` comments skipped)."""
    mapping: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        desktop, _, worker = line.partition("=")
        if desktop.strip() and worker.strip():
            mapping[desktop.strip()] = worker.strip()
    return mapping


def format_path_map(mapping: dict[str, str]) -> str:
    return "\n".join(f"{desktop} = {worker}" for desktop, worker in mapping.items())


class SharedQueueTab(QWidget):
    changed = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = QLineEdit("" if settings.queue_url == "local" else settings.queue_url)
        self.url.setObjectName("queueUrl")
        self.url.setPlaceholderText("local (this window uploads)  —  or sqs://queue-name")
        self.path_map = QPlainTextEdit(format_path_map(settings.queue_path_map))
        self.path_map.setObjectName("queuePathMap")
        self.path_map.setPlaceholderText("\\\\server\\exports = /srv/exports")
        note = QLabel(
            "With a shared queue, dropped files are still checked for duplicates here, then "
            "sent to the queue; headless workers (hma-ingest worker) upload them. The path map "
            "says where the workers find this computer's folders."
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        form = QFormLayout()
        form.addRow("Queue", self.url)
        form.addRow("Path map", self.path_map)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addStretch()
        self.url.textChanged.connect(self.changed)
        self.path_map.textChanged.connect(self.changed)

    def values(self) -> dict[str, Any]:
        return {
            "queue_url": self.url.text().strip() or "local",
            "queue_path_map": parse_path_map(self.path_map.toPlainText()),
        }

    def fields(self) -> dict[str, QWidget]:
        return {"queue_url": self.url, "queue_path_map": self.path_map}
