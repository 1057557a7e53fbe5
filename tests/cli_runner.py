"""Run `hma-ingest` in-process (`main(argv, stdout, stderr)`) or as a real subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import dataclass

from hma_gui.cli.main import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(*argv: str) -> CliResult:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout, stderr)
    return CliResult(code, stdout.getvalue(), stderr.getvalue())


def cli_command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "hma_gui.cli", *argv]


def run_cli_process(*argv: str, timeout: float = 300) -> CliResult:
    done = subprocess.run(
        cli_command(*argv),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)
