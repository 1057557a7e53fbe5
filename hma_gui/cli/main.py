"""`hma-ingest`: the command-line face of the core.

``main(argv, stdout, stderr) -> int`` never calls `sys.exit`, so tests call it
directly; `run()` is the console-script entry point. The seed system's
spellings (``--mode monolith --input PATH``, ``--mode check-duplicates``) are
translated to the subcommands they mean.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn, TextIO

from hma_gui import __version__
from hma_gui.cli import config_cmd, dupes_cmd, etl_cmd, sandbox_cmd, upload_cmd, watch_cmd
from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.core.errors import AuthError, ConfigError, HmaError
from hma_gui.core.logging_setup import setup_logging
from hma_gui.core.sandbox import SANDBOX_SERVER_FLAG

logger = logging.getLogger(__name__)

# Each module adds its subcommands with `register(subparsers)`; handlers take a CliContext.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    upload_cmd,
    watch_cmd,
    dupes_cmd,
    etl_cmd,
    sandbox_cmd,
    config_cmd,
)

LEGACY_MODES = {
    "monolith": "upload",
    "upload": "upload",
    "check-duplicates": "check-duplicates",
}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hma-ingest",
        description="Upload member files to S3 by convention, find duplicates, load the MBA CSVs.",
        epilog="Exit codes: 0 ok, 1 some files failed, 2 usage or configuration error, "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"hma-ingest {__version__}")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run this command against a private local S3 endpoint (no AWS account needed)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def translate_legacy(argv: Sequence[str]) -> list[str]:
    """``--mode M --input P [...]`` → ``<command> P [...]`` (the seed's spelling)."""
    args = list(argv)
    if "--mode" not in args and not any(a.startswith("--mode=") for a in args):
        return args
    mode, inputs, rest = None, [], []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--mode" and index + 1 < len(args):
            mode, index = args[index + 1], index + 2
            continue
        if arg.startswith("--mode="):
            mode, index = arg.split("=", 1)[1], index + 1
            continue
        if arg == "--input" and index + 1 < len(args):
            inputs.append(args[index + 1])
            index += 2
            continue
        if arg.startswith("--input="):
            inputs.append(arg.split("=", 1)[1])
            index += 1
            continue
        rest.append(arg)
        index += 1
    command = LEGACY_MODES.get(mode or "")
    if command is None:
        raise UsageError(
            f"hma-ingest: unknown --mode {mode!r} (known: {', '.join(sorted(LEGACY_MODES))})"
        )
    if not inputs:
        raise UsageError("hma-ingest: --mode needs --input PATH")
    globals_ = [a for a in rest if a in ("--sandbox", "-v", "--verbose", "--traceback")]
    local = [a for a in rest if a not in globals_]
    return [*globals_, command, *inputs, *local]


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [SANDBOX_SERVER_FLAG]:
        from hma_gui.core import sandbox_server

        return sandbox_server.main(arguments[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(translate_legacy(arguments))
    except UsageError as exc:
        stderr.write(parser.format_usage() + str(exc) + "\n")
        return ExitStatus.ERROR
    except SystemExit as exc:  # --help and --version print and "exit"
        return int(exc.code or 0)
    if not getattr(args, "handler", None):
        parser.print_help(stdout)
        return ExitStatus.ERROR
    setup_logging(level=logging.DEBUG if args.verbose else logging.INFO, console=args.verbose)
    ctx = CliContext(args, stdout, stderr)
    try:
        return int(args.handler(ctx))
    except KeyboardInterrupt:
        stderr.write("\nhma-ingest: interrupted; unfinished jobs are kept (hma-ingest resume)\n")
        return ExitStatus.INTERRUPTED
    except ConfigError as exc:
        stderr.write(f"hma-ingest: configuration error: {exc}\n")
        return ExitStatus.ERROR
    except AuthError as exc:
        stderr.write(f"hma-ingest: {exc}\n")
        return ExitStatus.ERROR
    except HmaError as exc:
        _report(stderr, args, exc)
        return ExitStatus.ERROR
    except Exception as exc:
        logger.exception("unexpected error")
        _report(stderr, args, exc, unexpected=True)
        return ExitStatus.ERROR
    finally:
        for note in ctx.notes:
            logger.info(note)
        ctx.close()


def _report(
    stderr: TextIO, args: argparse.Namespace, exc: BaseException, unexpected: bool = False
) -> None:
    if getattr(args, "traceback", False):
        traceback.print_exception(exc, file=stderr)
    prefix = "unexpected error: " if unexpected else ""
    hint = "" if getattr(args, "traceback", False) else " (run with --traceback for details)"
    stderr.write(f"hma-ingest: {prefix}{exc}{hint if unexpected else ''}\n")


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
