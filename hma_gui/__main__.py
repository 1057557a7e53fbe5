"""``python -m hma_gui``: the desktop app."""

from hma_gui.app_entry import run

if __name__ == "__main__":
    run()
