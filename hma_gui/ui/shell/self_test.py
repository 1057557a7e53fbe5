"""``hma-ingest --self-test``: prove that this installation works, end to end.

It starts the app as a double-click does (the QApplication, logging, the
user's settings), opens the main window (offscreen is fine), starts a private
sandbox S3 endpoint (in a packaged app: the bundle's own binary in
``--hma-sandbox-server`` mode), drops a generated file on the window, waits for
the upload, reads the object back and compares it byte for byte, then closes
and checks that the sandbox went away with the window.

Each step prints one line (``self-test: <step> ... ok``) to stdout when there is
one and to the log file in any case (a windowed Windows build has no stdout);
the exit status is 0 when every step passed, 1 at the first that failed. The
user's job store, queue and watched folders are not touched: the test has its
own store in a temporary folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QImageReader

from hma_gui import APP_NAME, __version__
from hma_gui.core import app_dirs
from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.frozen_app import has_console, is_frozen, restore_child_environment
from hma_gui.core.jobs.store import JobState
from hma_gui.core.logging_setup import log_file_path, setup_logging
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.sandbox import Sandbox, create_scope_buckets, sandbox_settings
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY

logger = logging.getLogger(__name__)

STEP_TIMEOUT_S = 120.0  # generous: a cold start on a busy machine; each wait ends as soon as it can
PAYLOAD_BYTES = 1024 * 1024 + 123  # one generated file, not a round number
AWS_SERVICES = ("s3", "sts", "sso", "sso-oidc")  # S3, and the credential providers' clients


class StepFailed(Exception):
    """A self-test step did not hold; the message says what was wrong."""


class Report:
    """Prints and logs each step; remembers the first failure."""

    def __init__(self) -> None:
        self.failed: str | None = None
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        logger.info("%s", line)
        if has_console():
            with contextlib.suppress(OSError):  # a closed pipe must not fail the test
                print(line, flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Run one step; append a detail to the yielded list to show it after "ok"."""
        details: list[str] = []
        started = time.monotonic()
        try:
            yield details
        except BaseException as exc:
            reason = str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, StepFailed):
                logger.error("self-test step %r raised", name, exc_info=exc)
            self.failed = self.failed or f"{name}: {reason}"  # the first failure is the cause
            self.say(f"self-test: {name} ... FAILED: {reason}")
            raise
        took = time.monotonic() - started
        extra = f" ({'; '.join(details)})" if details else ""
        self.say(f"self-test: {name} ... ok{extra} [{took:.2f} s]")


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop until `condition()` holds; `StepFailed` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(25)
    timer.timeout.connect(loop.quit)  # back to the checks below every 25 ms
    timer.start()
    try:
        while not condition():
            if time.monotonic() > deadline:
                raise StepFailed(f"timed out after {timeout_s:.0f} s waiting for {what}")
            loop.exec()
    finally:
        timer.stop()


def run_self_test(argv: Sequence[str]) -> int:
    report = Report()
    report.say(
        f"self-test: {APP_NAME} {__version__} ({'packaged' if is_frozen() else 'from source'}, "
        f"Python {sys.version.split()[0]}, {sys.platform})"
    )
    with tempfile.TemporaryDirectory(prefix="hma-self-test-") as scratch:
        try:
            _run_steps(report, argv, Path(scratch))
        except BaseException:  # noqa: BLE001 - every failure ends the test with its reason
            if report.failed is None:  # outside a step: still say what happened
                report.failed = traceback.format_exc(limit=3).strip().splitlines()[-1]
                report.say(f"self-test: FAILED: {report.failed}")
    took = time.monotonic() - report.started
    if report.failed:
        report.say(
            f"self-test: FAILED ({report.failed}) after {took:.1f} s; log: {log_file_path()}"
        )
        return 1
    report.say(f"self-test: passed in {took:.1f} s; log: {log_file_path()}")
    return 0


def _run_steps(report: Report, argv: Sequence[str], scratch: Path) -> None:
    # The window's modules are imported in the steps, so that a missing one is a failed step.
    with report.step("start the app") as details:
        from hma_gui.ui.app import create_application

        app = create_application(argv)
        memory = setup_logging()
        restore_child_environment()
        details.append(f"Qt platform {app.platformName()}")

    with report.step("find the app's resources") as details:
        style = app_dirs.resource_path("styles", "app.qss")
        icon = app_dirs.resource_path("icons", "hma-ingest.svg")
        missing = [str(p) for p in (style, icon) if not p.is_file()]
        if missing:
            raise StepFailed(f"missing {', '.join(missing)}")
        formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
        if "svg" not in formats:
            raise StepFailed(f"Qt cannot read SVG images (formats: {sorted(formats)})")
        details.append(str(style.parent.parent))

    with report.step("load the settings") as details:
        settings = load_settings()
        details.append(str(app_dirs.settings_file()))
        # A private run: the sandbox, none of the user's watched folders, no tray.
        settings = settings.model_copy(
            update={"sandbox": True, "watch_folders": [], "keep_in_tray": False}
        )

    with report.step("build AWS clients") as details:
        _build_aws_clients()
        details.append(", ".join(AWS_SERVICES))

    sandboxes: list[Sandbox] = []

    def start_sandbox(base: Settings) -> tuple[Sandbox, Settings]:
        sandbox = Sandbox(log_file=app_dirs.ensure_dir(app_dirs.log_dir()) / "sandbox-server.log")
        sandboxes.append(sandbox)
        endpoint = sandbox.start()
        started = sandbox_settings(base, endpoint)
        create_scope_buckets(make_s3_client(started), started)
        return sandbox, started

    from hma_gui.ui.main_window import MainWindow
    from hma_gui.ui.session import Session

    window: MainWindow | None = None
    try:
        with report.step("open the main window") as details:
            session = Session(
                settings,
                sandbox=True,
                sandbox_starter=start_sandbox,
                store_file=scratch / "jobs.db",
            )
            window = MainWindow(session, memory)
            failures: list[str] = []
            session.start_failed.connect(failures.append)
            window.show()
            window.start()
            shown = window
            wait_until(lambda: _exposed(shown), 30, "the window to be shown")
            details.append(f"{window.width()}x{window.height()}")

        with report.step("start the sandbox S3 endpoint") as details:
            wait_until(lambda: session.is_ready or bool(failures), STEP_TIMEOUT_S, "the sandbox")
            if failures:
                raise StepFailed(failures[0])
            if not sandboxes or not sandboxes[0].running:
                raise StepFailed("the sandbox server process is not running")
            details.append(session.connection().describe())

        with report.step("upload a generated file") as details:
            folder = scratch / "drop" / "mba"  # the folder name gives the scope
            folder.mkdir(parents=True)
            payload = os.urandom(PAYLOAD_BYTES)
            source = folder / f"self-test-{uuid.uuid4().hex[:8]}.csv"
            source.write_bytes(payload)
            window.add_paths([scratch / "drop"])
            store = session.store

            def finished() -> bool:
                counters = store.counters()
                return counters.total > 0 and counters.pending == 0

            wait_until(finished, STEP_TIMEOUT_S, "the upload")
            jobs = store.jobs()
            if len(jobs) != 1 or jobs[0].state is not JobState.DONE:
                states = [f"{j.source}: {j.state.value} {j.error or ''}".strip() for j in jobs]
                raise StepFailed(f"expected 1 uploaded job, found {states or 'none'}")
            job = jobs[0]
            details.append(f"{len(payload):,} bytes to {job.uri}")

        with report.step("read it back") as details:
            if not (job.bucket and job.key):
                raise StepFailed("the job has no bucket or key")
            client = make_s3_client(session.settings)
            answer = client.get_object(Bucket=job.bucket, Key=job.key)
            body = answer["Body"].read()
            if body != payload:
                raise StepFailed(
                    f"read {len(body):,} bytes that differ from the {len(payload):,} sent"
                )
            stored_md5 = answer.get("Metadata", {}).get(MD5_METADATA_KEY)
            if stored_md5 != hashlib.md5(payload).hexdigest():  # noqa: S324 - S3's checksum
                raise StepFailed(f"the object's md5 metadata is {stored_md5!r}")
            details.append("content equal, md5 metadata matches")
    finally:
        if window is not None:
            with report.step("close the window") as details:
                window.quit()
                if any(s.running for s in sandboxes):
                    raise StepFailed("the sandbox server still runs after the window closed")
                details.append("sandbox stopped" if sandboxes else "no sandbox was started")


def _exposed(window: object) -> bool:
    handle = window.windowHandle()  # type: ignore[attr-defined]
    return bool(window.isVisible() and handle is not None and handle.isExposed())  # type: ignore[attr-defined]


def _build_aws_clients() -> None:
    """Clients for S3 and the credential providers, built as the app builds its own
    (`AwsSession`, botocore's session): their service models are in the bundle."""
    from hma_gui.core.s3.client import AwsSession

    dummy = "self-test"  # clients are built, never called: no credentials needed
    session = AwsSession(region_name="us-east-1")
    available = set(session.available_services())
    missing = [name for name in AWS_SERVICES if name not in available]
    if missing:
        raise StepFailed(f"no AWS service model for {', '.join(missing)}")
    for name in AWS_SERVICES:
        session.client(name, aws_access_key_id=dummy, aws_secret_access_key=dummy)
