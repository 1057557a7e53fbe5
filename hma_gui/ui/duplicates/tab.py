"""The Duplicates tab and its two tiles in the window, kept up to date by the flow."""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget

from hma_gui.ui import icons
from hma_gui.ui.duplicates.flow import DuplicateFlow
from hma_gui.ui.queue.counters_panel import CountersPanel
from hma_gui.ui.theme import TO_DECIDE

DUPLICATES_COLOR = "#7c3aed"


def install(tabs: QTabWidget, index: int, counters: CountersPanel, flow: DuplicateFlow) -> None:
    """Put `flow`'s panel in `tabs` at `index` and its tiles in `counters`."""
    tabs.insertTab(index, flow.panel, icons.icon("copy"), "Duplicates")
    tile = counters.add_tile("duplicates", "Duplicates", DUPLICATES_COLOR)
    tile.setToolTip("Files skipped this session: S3 or the same upload already holds them")
    tile = counters.add_tile("to_decide", "To decide", TO_DECIDE)
    tile.setToolTip("Files waiting for your duplicate decision, and conflicts not uploaded")

    def show(skipped: int, to_decide: int) -> None:
        counters.set_tile("duplicates", skipped)
        counters.set_tile("to_decide", to_decide)
        title = f"Duplicates  ({to_decide})" if to_decide else "Duplicates"
        tabs.setTabText(tabs.indexOf(flow.panel), title)

    flow.counts_changed.connect(show)
    show(*flow.counts())
