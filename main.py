"""Double-click or ``python main.py``: start the HMA Ingest desktop app."""

from hma_gui.app_entry import run

if __name__ == "__main__":
    run()
