"""Entry point of the desktop app: ``hma-gui``, ``python -m hma_gui`` and ``main.py``.

Qt is imported only once it is clear the window is wanted: a frozen bundle
starts itself with ``--hma-sandbox-server`` to run its sandbox S3 endpoint,
and that child must not load Qt.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from hma_gui import APP_ID, __version__
from hma_gui.core.app_dirs import ENV_FILE_VARIABLE
from hma_gui.core.frozen_app import ensure_std_streams
from hma_gui.core.s3.sandbox_server import SANDBOX_SERVER_FLAG


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hma-gui", description="HMA Ingest desktop app: drop folders, upload them to S3."
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--sandbox",
        action="store_true",
        help="upload to a private local S3 endpoint (127.0.0.1) instead of AWS",
    )
    mode.add_argument(
        "--no-sandbox",
        action="store_true",
        help="start on AWS this time even though 'Start in the sandbox' is saved; to stop "
        "starting in the sandbox for good, untick it in Settings > AWS connection "
        "(or set sandbox = false in settings.toml)",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="read settings (HMA_…) from this .env file instead of the one in the config "
        "directory; a .env in the working directory is never read",
    )
    parser.add_argument("--version", action="version", version=f"{APP_ID} {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation: open the window, upload a file to a private sandbox "
        "endpoint and read it back; exit 0 if all worked, 1 otherwise",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help=argparse.SUPPRESS,  # start in the sandbox, exit 0 once uploads could start (packaging)
    )
    parser.add_argument(
        "--startup-timing",
        action="store_true",
        help=argparse.SUPPRESS,  # print when the window is first shown, then quit (bench/)
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    ensure_std_streams()  # a windowed build may have no stdout/stderr at all
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [SANDBOX_SERVER_FLAG]:
        from hma_gui.core.s3 import sandbox_server

        return sandbox_server.main(arguments[1:])
    # Qt's own options (-platform, -style …) pass through to QApplication untouched.
    args, qt_args = build_parser().parse_known_args(arguments)
    qt_argv = [sys.argv[0] if sys.argv else APP_ID, *qt_args]
    if args.env_file:  # every settings load of this process (and its children) reads it
        os.environ[ENV_FILE_VARIABLE] = str(Path(args.env_file).resolve())
    if args.self_test:
        from hma_gui.ui.shell.self_test import run_self_test

        return run_self_test(qt_argv)
    from hma_gui.ui.app import run_app

    return run_app(
        qt_argv,
        sandbox=args.sandbox or args.smoke_test,
        no_sandbox=args.no_sandbox,
        smoke_test=args.smoke_test,
        startup_timing=args.startup_timing,
    )


def run() -> None:
    """The ``hma-gui`` script."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
