"""`hma-ingest`: the command-line face of the core.

``main(argv, stdout, stderr) -> int`` never calls `sys.exit`, so tests call it
directly; `run()` is the console-script entry point. The seed system's
spellings (``--mode monolith --input PATH``, ``--mode check-duplicates``) are
translated to the subcommands they mean.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn, TextIO

from hma_gui import __version__
from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.core.errors import AuthError, ConfigError, HmaError
from hma_gui.core.logging_setup import setup_logging
from hma_gui.core.redaction import mask_url
from hma_gui.core.s3.sandbox_server import SANDBOX_SERVER_FLAG

logger = logging.getLogger(__name__)

# Each module adds its subcommands with `register(subparsers)`; handlers take a CliContext.
# Only the module of the command being run is imported (start-up time: `check-duplicates`
# need not load the ETL or watchdog); --help and unknown commands load them all.
COMMAND_MODULES: dict[str, str] = {
    "upload": "hma_gui.cli.upload_cmd",
    "resume": "hma_gui.cli.upload_cmd",
    "retry-failed": "hma_gui.cli.upload_cmd",
    "status": "hma_gui.cli.upload_cmd",
    "watch": "hma_gui.cli.watch_cmd",
    "check-duplicates": "hma_gui.cli.dupes_cmd",
    "cache": "hma_gui.cli.dupes_cmd",
    "etl": "hma_gui.cli.etl_cmd",
    "db": "hma_gui.cli.etl_cmd",
    "sandbox": "hma_gui.cli.sandbox_cmd",
    "config": "hma_gui.cli.config_cmd",
    "queue": "hma_gui.cli.queue_cmd",
    "produce": "hma_gui.cli.queue_cmd",
    "worker": "hma_gui.cli.worker_cmd",
    "serve": "hma_gui.cli.serve_cmd",
}
_GLOBAL_FLAGS = ("--sandbox", "-v", "--verbose", "--traceback")
_GLOBAL_OPTIONS = ("--env-file",)  # global options that take a value

LEGACY_MODES = {
    "monolith": "upload",
    "upload": "upload",
    "check-duplicates": "check-duplicates",
    "produce": "produce",  # hma-producer --scope mba --input ./data
}


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv` (after the global flags), if any."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL_FLAGS or arg.startswith(tuple(f"{o}=" for o in _GLOBAL_OPTIONS)):
            continue
        if arg in _GLOBAL_OPTIONS:
            next(args, None)
            continue
        return None if arg.startswith("-") else arg
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
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
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="read settings (HMA_…) from this .env file instead of the one in the config "
        "directory; a .env in the working directory is never read",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.add_argument("--traceback", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    wanted = COMMAND_MODULES.get(command or "")
    names = [wanted] if wanted else list(dict.fromkeys(COMMAND_MODULES.values()))
    for name in names:
        importlib.import_module(name).register(commands)
    return parser


def translate_legacy(argv: Sequence[str]) -> list[str]:
    """``--mode M --input P [...]`` → ``<command> P [...]`` (the seed's spelling)."""
    args = list(argv)
    if "--mode" not in args and not any(a.startswith("--mode=") for a in args):
        return args
    mode, inputs, rest = None, [], []
    globals_: list[str] = []
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
        if arg in _GLOBAL_OPTIONS and index + 1 < len(args):
            globals_.extend(args[index : index + 2])
            index += 2
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
    globals_ += [a for a in rest if a in _GLOBAL_FLAGS or a.startswith("--env-file=")]
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
        from hma_gui.core.s3 import sandbox_server

        return sandbox_server.main(arguments[1:])
    try:
        arguments = translate_legacy(arguments)
    except UsageError as exc:
        stderr.write(str(exc) + "\n")
        return ExitStatus.ERROR
    command = command_of(arguments)
    if command is None and "--version" in arguments and not {"-h", "--help"} & set(arguments):
        stdout.write(f"hma-ingest {__version__}\n")  # without loading every command (0.3 s)
        return ExitStatus.OK
    parser = build_parser(command)
    try:
        args = parser.parse_args(arguments)
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
        stderr.write(f"hma-ingest: configuration error: {mask_url(str(exc))}\n")
        return ExitStatus.ERROR
    except AuthError as exc:
        stderr.write(f"hma-ingest: {mask_url(str(exc))}\n")
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
        stderr.write(mask_url("".join(traceback.format_exception(exc))))
    prefix = "unexpected error: " if unexpected else ""
    hint = "" if getattr(args, "traceback", False) else " (run with --traceback for details)"
    stderr.write(f"hma-ingest: {prefix}{mask_url(str(exc))}{hint if unexpected else ''}\n")


def run() -> None:
    """Console-script entry point."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must not crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    status = main()
    gc.freeze()  # the process ends: its last collection need not walk every object (~10 ms)
    raise SystemExit(status)


if __name__ == "__main__":
    run()
