"""A newcomer's first session, driven through the real window under a real X server.

    bash tools/newcomer_path.sh            # xvfb-run, a 1024×700 screen
    bash tools/newcomer_path.sh --scale 2  # the same at QT_SCALE_FACTOR=2

In a private home (no settings, no AWS credentials, ``on_duplicate = ask``):
the first-start dialog offers the sandbox and is answered; a folder of sample
data (with one bad CSV row) is dropped on the drop zone and uploaded, the
files outside every scope folder answered through the scope question; a second
drop brings a changed copy (a conflict) and an unchanged one: the review
dialog opens, is filtered to "Conflict" and decided "Keep both"; a folder is
watched and a file arriving there is uploaded; the ETL runs (the sandbox's
SQLite); the rejects report opens in the app.

Each step checks a real effect (a job's state and key, a row count), saves a
screenshot of every window and of the whole X screen, checks none is blank
and that every window and dialog lies within the screen. One line per step;
``steps.json`` in the output folder lists them; exit status 1 at the first
step that does not hold.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TIMEOUT = 120.0
BAD_ROW = "M99999999,Bad,Row\n"  # fewer fields than the header: one rejected row


class StepFailed(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "newcomer")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="hma-newcomer-"))
    os.environ.update(
        HOME=str(home),
        HMA_CONFIG_DIR=str(home / "config"),
        HMA_DATA_DIR=str(home / "data"),
        HMA_ON_DUPLICATE="ask",
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name in [n for n in os.environ if n.startswith(("AWS_ACCESS", "AWS_SECRET", "HMA_S3"))]:
        del os.environ[name]
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    try:
        return run(home, args.out)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def sample_folders(home: Path) -> tuple[Path, Path, Path]:
    """The first drop (sample data, one bad row), the second (a conflict), a watched folder."""
    first = home / "sample_data"
    shutil.copytree(ROOT / "resources" / "sample_data", first)
    with (first / "mba" / "csv" / "MemberData.csv").open("a", encoding="utf-8") as handle:
        handle.write(BAD_ROW)
    second = home / "update"
    (second / "mba" / "pdf").mkdir(parents=True)
    (second / "mba" / "csv").mkdir(parents=True)
    (second / "mba" / "pdf" / "benefit_coverage.pdf").write_bytes(b"%PDF-1.4 a newer version\n")
    shutil.copy2(first / "mba" / "csv" / "plan_details.csv", second / "mba" / "csv")
    inbox = home / "inbox"
    (inbox / "mba" / "pdf").mkdir(parents=True)
    return first, second, inbox


def run(home: Path, out: Path) -> int:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QTimer, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication, QInputDialog

    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.duplicates.decisions import Decision
    from hma_gui.core.duplicates.s3_check import S3Class
    from hma_gui.core.jobs.store import JobState
    from hma_gui.ui import theme
    from hma_gui.ui.app import choose_mode
    from hma_gui.ui.duplicates.review_dialog import DuplicateReviewDialog
    from hma_gui.ui.main_window import MainWindow
    from hma_gui.ui.session import Session
    from hma_gui.ui.shell.first_run import FirstRunDialog
    from tools.newcomer_checks import Screens

    app = QApplication(sys.argv)
    theme.apply(app)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    screens = Screens(out)
    record: list[dict[str, Any]] = []
    started = time.monotonic()
    first, second, inbox = sample_folders(home)

    def pump(ms: int) -> None:
        """Process events for `ms` with the GIL free between them. QTest.qWait sleeps
        holding the GIL, which starved the app's worker threads (the ETL, the sandbox
        start) to minutes: not what the real event loop does."""
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.005)

    def wait(what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while not condition():
            if time.monotonic() > deadline:
                raise StepFailed(f"timed out waiting for {what}")
            pump(50)

    def step(name: str, text: str, check: Callable[[], object]) -> None:
        pump(150)  # painted
        result = check()
        if result is False:
            raise StepFailed(f"{name}: {text}")
        problems = screens.snap(len(record) + 1, name)
        record.append({"name": name, "text": text, "seconds": time.monotonic() - started})
        if problems:
            raise StepFailed(f"{name}: " + "; ".join(problems))
        print(f"ok {len(record):2d}  {name}: {text}", flush=True)

    def when_shown(kind: type, act: Callable[[Any], None], errors: list[BaseException]) -> None:
        """Call `act(dialog)` once a `kind` dialog shows (inside its exec loop)."""

        def poll() -> None:
            shown = [w for w in app.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
            if not shown:
                QTimer.singleShot(50, poll)
                return
            try:
                act(shown[0])
            except BaseException as exc:  # noqa: BLE001 - reported after the loop
                errors.append(exc)
                shown[0].reject()

        QTimer.singleShot(50, poll)

    errors: list[BaseException] = []

    def first_start(dialog: FirstRunDialog) -> None:
        step("first-start", "no AWS credentials: the sandbox is offered", dialog.isVisible)
        dialog.sandbox_button.click()

    try:
        # 1 ─ first start: no credentials, the welcome dialog; the newcomer takes the sandbox
        when_shown(FirstRunDialog, first_start, errors)
        chosen = choose_mode(load_settings(), force_sandbox=False)
        if errors:
            raise errors[0]
        if chosen is None or not chosen[1]:
            raise StepFailed(f"first-start: the sandbox was not chosen ({chosen})")
        window = MainWindow(Session(chosen[0], sandbox=True))
    except StepFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    window.show()
    window.start()
    store = window.session.store

    def jobs_by_name() -> dict[str, Any]:
        return {Path(j.source).name: j for j in store.jobs()}

    try:
        wait("the sandbox", lambda: window.session.is_ready)
        free = window.screen().availableGeometry()
        step(
            "window",
            f"the sandbox is up; the window is {window.width()}×{window.height()} "
            f"in {free.width()}×{free.height()}",
            lambda: window.sandbox_badge.isVisible() or window.header.small_badge.isVisible(),
        )

        # 2 ─ add a folder: dropped on the drop zone, as a file manager does
        def drop(folder: Path) -> None:
            mime = QMimeData()
            mime.setUrls([QUrl.fromLocalFile(str(folder))])
            zone, centre = window.drop_zone, window.drop_zone.rect().center()
            buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
            enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, buttons, keys)
            zone.dragEnterEvent(enter)  # the handlers a drag from a file manager reaches
            if not enter.isAccepted():
                raise StepFailed(f"the drop zone refuses {folder}")
            before = len(store.jobs())
            action = Qt.DropAction.CopyAction
            zone.dropEvent(QDropEvent(QPointF(centre), action, mime, buttons, keys))
            wait("the dropped files", lambda: len(store.jobs()) > before)

        drop(first)
        wait("the drop", lambda: not window.session.intake.busy and not store.counters().pending)
        held = store.counters().needs_scope
        step(
            "drop",
            f"{held} file(s) outside every scope folder wait as 'Needs a scope'; the bar asks",
            lambda: held > 0 and window.banner.topic == "scope" and window.banner.isVisible(),
        )

        def answer_scope(dialog: QInputDialog) -> None:
            step("scope-question", "which scope for the files outside any?", dialog.isVisible)
            dialog.setTextValue("policy")
            dialog.accept()

        when_shown(QInputDialog, answer_scope, errors)
        window.banner.buttons[0].click()
        if errors:
            raise errors[0]
        wait("the scoped files", lambda: not store.counters().needs_scope)
        wait("the uploads", lambda: not store.counters().pending)
        counters = store.counters()
        step(
            "uploaded",
            f"uploaded {counters.done}, failed {counters.failed}",
            lambda: counters.failed == 0 and counters.done >= 10,
        )

        # 3 ─ a second drop with a changed copy: the review opens, filtered to "Conflict"
        dialogs: list[DuplicateReviewDialog] = []
        window.duplicates.dialog_opened.connect(dialogs.append)
        drop(second)
        wait("the review dialog", lambda: bool(dialogs) and dialogs[0].isVisible())
        review = dialogs[0]
        step(
            "review",
            f"the review opens ({review.width()}×{review.height()}): "
            f"{review.findings_model.rowCount()} findings",
            lambda: review.findings_model.rowCount() >= 2,
        )
        combo = review.class_filter
        combo.setCurrentIndex(combo.findData(S3Class.CONFLICT))
        review.select_shown_button.click()
        review.selected_buttons[Decision.KEEP_BOTH].click()
        shown = review.findings_model.rowCount()
        step(
            "review-conflict",
            f"filtered to '{combo.currentText()}': {shown} row, decided Keep both",
            lambda: shown == 1 and "Conflict" in combo.currentText(),
        )
        review.apply_button.click()

        def kept_both() -> bool:
            job = jobs_by_name().get("benefit_coverage.pdf")
            pdfs = [j for j in store.jobs() if j.key and j.key.endswith("benefit_coverage__2.pdf")]
            return job is not None and bool(pdfs) and pdfs[0].state is JobState.DONE

        wait("the kept copy's upload", kept_both)
        step("review-applied", "the changed copy is uploaded beside the original", kept_both)

        # 4 ─ watch a folder; a file arriving there is uploaded
        window.tabs.setCurrentWidget(window.watch_panel)
        window.watch_panel.choose_folder(str(inbox))
        watch_dialog = window.watch_panel.dialog
        wait("the watch dialog", lambda: watch_dialog is not None and watch_dialog.isVisible())
        assert watch_dialog is not None
        step("watch-dialog", f"watch {inbox.name}", watch_dialog.isVisible)
        watch_dialog._accept()  # the Watch button
        wait("the watch list", lambda: window.watch_panel.table.rowCount() == 1)
        (inbox / "mba" / "pdf" / "arrived.pdf").write_bytes(b"%PDF-1.4 arrived later\n")

        def arrived() -> bool:
            job = jobs_by_name().get("arrived.pdf")
            return job is not None and job.state is JobState.DONE

        wait("the watched file's upload", arrived)
        step("watched", "a file arriving in the watched folder is uploaded", arrived)

        # 5 ─ the ETL (the sandbox's SQLite), then its rejects in the app
        window.etl_button.click()
        wait("the ETL", lambda: window.etl.last_result is not None and not window.etl.busy)
        result = window.etl.last_result
        assert result is not None
        loaded = sum(f.rows_loaded for f in result.files)
        step(
            "etl",
            f"{len(result.files)} files, {loaded:,} rows loaded, "
            f"{result.rows_rejected} rejected: {window.etl_panel.summary.text()}",
            lambda: loaded > 0 and result.rows_rejected == 1,
        )
        window.etl_panel.rejects_button.click()
        rejects = window.etl_panel.rejects_dialog
        wait("the rejects", lambda: rejects is not None and rejects.isVisible())
        assert rejects is not None
        step(
            "rejects",
            f"the rejects show in the app ({rejects.model.rowCount()} row)",
            lambda: rejects.model.rowCount() == 1,
        )
        rejects.close()
        skipped = [Path(j.source).name for j in store.jobs() if j.state is JobState.SKIPPED]
        states = {j.state for j in store.jobs()}
        step(
            "done",
            f"{len(store.jobs())} jobs: uploaded, or skipped as already in S3 ({skipped})",
            lambda: states == {JobState.DONE, JobState.SKIPPED} and skipped == ["plan_details.csv"],
        )
    except (StepFailed, AssertionError) as exc:
        screens.snap(99, "failed")
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        (out / "steps.json").write_text(
            json.dumps({"steps": record, "shots": screens.shots}, indent=1), encoding="utf-8"
        )
        window.quit()
    print(f"{len(record)} steps in {time.monotonic() - started:.1f} s; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
