"""Runs the ETL for the window: on the ETL pool, one run at a time, progress on a timer.

`EtlService.run(options)` starts `run_etl` with the session's effective
settings (in sandbox mode: the sandbox endpoint, and a SQLite file of its own,
``<data dir>/sandbox/mba.db``, as the sandbox keeps its own job store). The
worker first lists what the run will load (`EtlRunner.plan`) so every file is
shown at once as waiting, then loads them; its progress goes to an `EtlBoard`
that a 200 ms timer turns into `changes`. The outcome comes back as
`run_finished(RunResult)` or `run_failed(message)`: one clear line, secrets
masked, for errors that stop a run before any file (database unreachable or
refusing the password, another run busy, a missing bucket, no credentials).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import ConfigError, HmaError
from hma_gui.core.etl.database import DbConfig
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.pipeline import MBA_SCOPE, EtlOptions, EtlRunner, run_etl
from hma_gui.core.etl.results import RunResult
from hma_gui.core.logging_setup import redact
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client
from hma_gui.ui.etl.history import HistorySnapshot, read_history
from hma_gui.ui.etl.model import EtlBoard
from hma_gui.ui.session import Session
from hma_gui.ui.tasks import run_task

logger = logging.getLogger(__name__)

POLL_MS = 200


def db_config(settings: Settings, sandboxed: bool) -> DbConfig:
    """Where the ETL writes: the configured database, or the sandbox's own SQLite file."""
    if sandboxed and not settings.sandbox:  # the sandbox is still starting
        settings = settings.model_copy(update={"sandbox": True})
    return DbConfig.from_settings(settings)


@dataclass(frozen=True)
class Target:
    """What the tab says about the database: its address (never a password) or a problem."""

    text: str
    problem: bool = False


def error_line(exc: BaseException) -> str:
    """One line for people, secrets masked: no traceback, no type name for our own errors."""
    text = str(exc).strip() or type(exc).__name__
    if not isinstance(exc, HmaError):
        text = f"{type(exc).__name__}: {text}"
    return redact(" ".join(text.split()))


class EtlService(QObject):
    busy_changed = Signal(bool)  # a run started (True) or ended (False)
    can_run_changed = Signal(bool)
    changes = Signal(object)  # BoardChanges, at most every POLL_MS while a run goes
    run_finished = Signal(object)  # RunResult
    run_failed = Signal(str)  # the run could not start: one clear line
    history_loaded = Signal(object)  # HistorySnapshot
    history_failed = Signal(str)
    target_changed = Signal(object)  # Target

    def __init__(self, session: Session, parent: QObject | None = None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.session = session
        self.busy = False
        self.last_result: RunResult | None = None
        self._token: CancelToken | None = None
        self._board: EtlBoard | None = None
        self._closed = False
        self._history_pending = False
        self._timer = QTimer(self)
        self._timer.setInterval(poll_ms)
        self._timer.timeout.connect(self._poll)
        session.settings_changed.connect(self._settings_changed)
        session.ready.connect(lambda: self.can_run_changed.emit(self.can_run))

    # ------------------------------------------------------------- state

    @property
    def can_run(self) -> bool:
        """Not running already, and (in sandbox mode) the sandbox endpoint is up."""
        sandbox_up = not self.session.sandboxed or self.session.sandbox is not None
        return not self.busy and sandbox_up and not self._closed

    def db_config(self) -> DbConfig:
        return db_config(self.session.settings, self.session.sandboxed)

    def target(self) -> Target:
        try:
            config = self.db_config()
        except ConfigError as exc:
            return Target(error_line(exc), problem=True)
        if config.dialect == "sqlite":
            return Target(f"{config.path} (SQLite)")
        return Target(config.display)

    def _settings_changed(self, _settings: Settings) -> None:
        self.target_changed.emit(self.target())
        self.can_run_changed.emit(self.can_run)

    # ------------------------------------------------------------- a run

    def run(self, options: EtlOptions | None = None) -> bool:
        """Start a run in the background; False if one is going (or cannot start yet)."""
        if not self.can_run:
            return False
        options = options or EtlOptions()
        settings, sandboxed = self.session.settings, self.session.sandboxed
        board, token = EtlBoard(), CancelToken()
        self._board, self._token = board, token
        self._set_busy(True)
        logger.info(
            "ETL run started%s%s",
            " (force)" if options.force else "",
            " (dry run)" if options.dry_run else "",
        )
        run_task(
            self.session.pools.etl,
            lambda: _run(settings, sandboxed, options, board, token),
            self._finished,
            self._failed,
        )
        self._timer.start()
        return True

    def stop(self) -> None:
        """Stop the run: the file being loaded is rolled back, no other starts."""
        if self._token is not None and self.busy:
            self._token.cancel("stopped by the user")

    def _poll(self) -> None:
        if self._board is not None:
            changes = self._board.take()
            if changes is not None:
                self.changes.emit(changes)

    def _finished(self, result: RunResult) -> None:
        if self._closed:
            return
        self._poll()  # the last changes before the result
        self._end()
        self.last_result = result
        logger.info(
            "ETL run finished: %d file(s), %d row(s) rejected%s",
            len(result.files),
            result.rows_rejected,
            ", stopped" if result.cancelled else "",
        )
        self.run_finished.emit(result)
        self.refresh_history()

    def _failed(self, exc: BaseException) -> None:
        if self._closed:
            return
        self._poll()
        self._end()
        if not isinstance(exc, HmaError):  # a bug: the excepthook logs it and shows the details
            sys.excepthook(type(exc), exc, exc.__traceback__)
        message = error_line(exc)
        logger.error("ETL run failed: %s", message)
        self.run_failed.emit(message)
        self.refresh_history()

    def _end(self) -> None:
        self._timer.stop()
        self._token = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)
        self.can_run_changed.emit(self.can_run)

    # ------------------------------------------------------------- history

    def refresh_history(self) -> None:
        """Read the latest ``etl_runs`` rows and the table sizes in the background."""
        if self._closed or self._history_pending:
            return
        try:
            config = self.db_config()
        except ConfigError as exc:
            self.history_failed.emit(error_line(exc))
            return
        self._history_pending = True
        run_task(
            self.session.pools.etl,
            lambda: read_history(config),
            self._history_read,
            self._no_history,
        )

    def _history_read(self, snapshot: HistorySnapshot) -> None:
        self._history_pending = False
        if not self._closed:
            self.history_loaded.emit(snapshot)

    def _no_history(self, exc: BaseException) -> None:
        self._history_pending = False
        if not self._closed:
            logger.warning("cannot read the ETL history: %s", error_line(exc))
            self.history_failed.emit(error_line(exc))

    # ------------------------------------------------------------- close

    def shutdown(self) -> None:
        """The window closes: stop a run (rolled back); the session waits for the pool."""
        if self._token is not None:
            self._token.cancel("the app is closing")
        self._closed = True
        self._timer.stop()


def _run(
    settings: Settings,
    sandboxed: bool,
    options: EtlOptions,
    board: EtlBoard,
    token: CancelToken,
) -> RunResult:
    """On the ETL pool: list what will be loaded (shown as waiting), then load it."""
    client = make_s3_client(settings)
    database = open_database(db_config(settings, sandboxed))
    try:
        scope = settings.scope(MBA_SCOPE)
        runner = EtlRunner(client, database, bucket=scope.bucket, prefix=scope.prefix)
        planned = runner.plan(options)  # S3 is listed once: here, shown, then loaded
        board.plan(planned)
        return run_etl(
            settings, options, progress=board, cancel=token, client=client, database=database,
            planned=planned,
        )  # fmt: skip
    finally:
        database.close()
