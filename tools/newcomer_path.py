"""A newcomer's first session, driven through the real window under a real X server.

    bash tools/newcomer_path.sh            # xvfb-run, a 1024×700 screen
    bash tools/newcomer_path.sh --scale 2  # the same at QT_SCALE_FACTOR=2

In a private home (no settings, no AWS): start in the sandbox, check the window
fits the screen, drop ``resources/sample_data``, see the file outside every
scope folder wait as "Needs a scope" and answer the drop's question, wait for
the uploads, run the ETL, open the rejects (if any) in the app and the keyboard
map. Each step prints one line and saves a screenshot; the exit status is 1 at
the first step that does not hold.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TIMEOUT = 120.0


class StepFailed(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "newcomer")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="hma-newcomer-"))
    os.environ.update(
        HMA_CONFIG_DIR=str(home / "config"),
        HMA_DATA_DIR=str(home / "data"),
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name in [n for n in os.environ if n.startswith(("AWS_ACCESS", "AWS_SECRET", "HMA_S3"))]:
        del os.environ[name]
    try:
        return run(home, args.out)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def run(home: Path, out: Path) -> int:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QInputDialog

    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.jobs.store import JobState
    from hma_gui.ui import theme
    from hma_gui.ui.main_window import MainWindow
    from hma_gui.ui.session import Session

    app = QApplication(sys.argv)
    theme.apply(app)
    out.mkdir(parents=True, exist_ok=True)
    window = MainWindow(Session(load_settings(), sandbox=True))
    window.show()
    window.start()
    number = 0

    def wait(what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise StepFailed(f"timed out waiting for {what}")
            QTest.qWait(50)

    def step(text: str, check: Callable[[], object]) -> None:
        nonlocal number
        number += 1
        result = check()
        if result is False:
            raise StepFailed(text)
        window.grab().save(str(out / f"{number:02d}.png"))
        print(f"ok {number:2d}  {text}")

    try:
        screen = window.screen().availableGeometry()
        step(
            f"the window fits the screen ({window.width()}×{window.height()} in "
            f"{screen.width()}×{screen.height()})",
            lambda: window.width() <= screen.width() and window.height() <= screen.height(),
        )
        wait("the sandbox", lambda: window.session.is_ready)
        step("the sandbox is up", lambda: window.sandbox_badge.isVisible())
        sample = home / "sample_data"
        shutil.copytree(ROOT / "resources" / "sample_data", sample)
        window.add_paths([sample])
        store = window.session.store
        wait("the drop", lambda: not window.session.intake.busy and not store.counters().pending)
        held = store.counters().needs_scope
        step(
            f"{held} file(s) outside every scope folder wait as 'Needs a scope'; the bar asks",
            lambda: held > 0 and window.banner.topic == "scope" and window.banner.isVisible(),
        )
        QInputDialog.getItem = staticmethod(lambda *a, **k: ("policy", True))  # the answer
        window.banner.buttons[0].click()
        wait("the scoped files", lambda: not store.counters().needs_scope)
        wait("the uploads", lambda: not store.counters().pending)
        counters = store.counters()
        step(
            f"uploaded {counters.done}, failed {counters.failed}",
            lambda: counters.failed == 0 and counters.done > 0,
        )

        def full() -> bool:
            figures = window.counters.figures
            if figures is None:
                return False
            return figures.percent == 100 and figures.files_done == figures.files_total

        wait("the bar at 100 %", full)
        step("the bar says 100 % once nothing is left", full)
        window.run_etl()
        wait("the ETL", lambda: not window.etl.busy)
        step(f"the ETL ran: {window.etl_panel.summary.text()}", lambda: True)
        if window.etl_panel.rejects_path is not None:
            window.etl_panel.open_rejects()
            dialog = window.etl_panel.rejects_dialog
            step(
                f"the rejects show in the app ({dialog.model.rowCount()} rows)",
                lambda: dialog.isVisible(),
            )
            dialog.close()
        dialog = window.menus.show_shortcuts()
        step("F1: the keyboard map", lambda: dialog.isVisible())
        dialog.close()
        states = {j.state for j in store.jobs()}
        step("every job is uploaded", lambda: states == {JobState.DONE})
    except StepFailed as exc:
        window.grab().save(str(out / "failed.png"))
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        window.quit()
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
