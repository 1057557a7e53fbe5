"""Start-up of the desktop app: the QApplication, logging, settings, first run, the window."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence

from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from hma_gui import APP_ID, APP_NAME, __version__
from hma_gui.core import app_dirs
from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.config.settings_file import save_settings
from hma_gui.core.errors import ConfigError
from hma_gui.core.frozen_app import restore_child_environment
from hma_gui.core.logging_setup import MemoryLogHandler, setup_logging
from hma_gui.core.s3.client import credentials_found
from hma_gui.ui import icons, theme
from hma_gui.ui.main_window import MainWindow
from hma_gui.ui.session import Session
from hma_gui.ui.settings.dialog import TAB_CONNECTION, SettingsDialog
from hma_gui.ui.shell import quit_signals, startup_probe
from hma_gui.ui.shell.error_dialog import ExceptHook
from hma_gui.ui.shell.first_run import FirstRunChoice, FirstRunDialog
from hma_gui.ui.shell.single_instance import SingleInstance

logger = logging.getLogger(__name__)


def create_application(argv: Sequence[str]) -> QApplication:
    """The QApplication with our names, icon and look (reused when one exists, as in tests)."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_ID)
    app.setOrganizationDomain("hma-ingest.local")
    QGuiApplication.setDesktopFileName(APP_ID)
    theme.apply(app)
    app.setWindowIcon(icons.app_icon())
    return app


def load_or_recover_settings() -> Settings | None:
    """The settings; if the file is broken, offer to set it aside. None: the user quit."""
    try:
        return load_settings()
    except ConfigError as exc:
        box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, "The settings cannot be used.")
        box.setInformativeText(str(exc))
        reset = box.addButton("Start with default settings", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is not reset:
            return None
        path = app_dirs.settings_file()
        if path.exists():
            aside = path.with_name(f"settings.toml.bad-{time.strftime('%Y%m%d-%H%M%S')}")
            path.rename(aside)
            logger.warning("the broken settings file was moved to %s", aside)
        try:
            return load_settings()
        except ConfigError as again:  # the environment itself is wrong
            QMessageBox.critical(None, APP_NAME, str(again))
            return None


def choose_mode(
    settings: Settings, force_sandbox: bool, no_sandbox: bool = False
) -> tuple[Settings, bool] | None:
    """Sandbox or AWS: forced, configured, or asked when no credentials are found.

    ``--sandbox`` (`force_sandbox`) wins; ``--no-sandbox`` (`no_sandbox`) overrides a
    saved ``sandbox = true`` for this start only. The settings come back as loaded:
    the second value is this run's mode.
    """
    if force_sandbox or (settings.sandbox and not no_sandbox):
        return settings, True
    if credentials_found(settings.model_copy(update={"sandbox": False})):
        return settings, False
    dialog = FirstRunDialog()
    dialog.exec()
    if dialog.choice is FirstRunChoice.QUIT:
        return None
    if dialog.choice is FirstRunChoice.SANDBOX:
        if dialog.always.isChecked():
            try:
                save_settings({"sandbox": True})
            except ConfigError as exc:
                logger.warning("cannot save the sandbox choice: %s", exc)
        return settings, True
    settings_dialog = SettingsDialog(settings, tab=TAB_CONNECTION)
    settings_dialog.exec()
    updated = settings_dialog.result_settings or settings
    if not credentials_found(updated):
        logger.warning("still no AWS credentials: uploads will fail until you sign in")
    return updated, False


def run_app(
    argv: Sequence[str],
    *,
    sandbox: bool = False,
    no_sandbox: bool = False,
    smoke_test: bool = False,
    startup_timing: bool = False,
) -> int:
    app = create_application(argv)
    restore_child_environment()  # a packaged app's children get the user's environment
    memory: MemoryLogHandler = setup_logging()
    window: MainWindow | None = None
    hook = ExceptHook(lambda: window).install()

    def quit_now() -> None:  # SIGTERM, Ctrl+C: as the Quit shortcut, even with the tray on
        if window is not None:
            window.quit()
        app.quit()

    signals = quit_signals.install(quit_now)
    logger.info("%s %s starting (Python %s)", APP_NAME, __version__, sys.version.split()[0])
    instance = SingleInstance(app_dirs.data_dir())
    if instance.signal_running():
        message = (
            f"{APP_NAME} is already running for the data directory {app_dirs.data_dir()}: "
            "its window was brought forward"
        )
        logger.info("%s", message)
        if sys.stderr is not None:
            print(message, file=sys.stderr)
        if signals is not None:
            signals.uninstall()
        hook.uninstall()
        return 0
    instance.listen()
    try:
        settings = load_or_recover_settings()
        if settings is None:
            return 2
        mode = choose_mode(settings, sandbox, no_sandbox)
        if mode is None:
            return 0
        settings, sandboxed = mode
        session = Session(settings, sandbox=sandboxed)
        window = MainWindow(session, memory)
        instance.activated.connect(window.show_from_tray)
        if startup_timing:
            startup_probe.report_when_shown(window, then=app.quit)
        window.show()
        window.start()
        if smoke_test:
            _exit_when_ready(app, session)
        return int(app.exec())
    finally:
        if window is not None:
            window.quit()  # close for good (a tray-kept window would only hide)
        instance.close()
        if signals is not None:
            signals.uninstall()
        hook.uninstall()


def _exit_when_ready(app: QApplication, session: Session, timeout_ms: int = 120_000) -> None:
    """``--smoke-test``: exit 0 as soon as uploads could start, 1 if they cannot."""

    def ready() -> None:
        logger.info("smoke test ok: %s", session.connection().describe())
        app.exit(0)

    session.ready.connect(ready)
    session.start_failed.connect(lambda _message: app.exit(1))
    QTimer.singleShot(timeout_ms, lambda: app.exit(3))
