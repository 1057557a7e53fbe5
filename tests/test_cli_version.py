"""``hma-ingest --version``: the version, at once (it is the CLI's start-up floor)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from hma_gui import __version__
from hma_gui.cli.main import main
from tests.early import Results, cli_probe, outputs, python, starts_early


def test_version_is_printed_to_the_given_stdout() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["--version"], out, err) == 0
    assert (out.getvalue(), err.getvalue()) == (f"hma-ingest {__version__}\n", "")
    assert main(["--sandbox", "--version"], out := io.StringIO(), err) == 0
    assert out.getvalue() == f"hma-ingest {__version__}\n"


def ask_version(folder: Path) -> list[list[str]]:
    loaded = (
        "sorted(m for m in sys.modules if m.startswith(('pydantic', 'boto', 'hma_gui.cli.'))"
        " and not m.startswith(('hma_gui.cli.main', 'hma_gui.cli.context',"
        " 'hma_gui.cli.exit_status')))"
    )
    return python(cli_probe(["--version"], loaded))


@starts_early(ask_version)
def test_version_loads_no_command_and_no_settings(early: Results) -> None:
    [out] = outputs(early)
    assert out.split(" ", 1) == ["0", "[]\n"]


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help", "--version"], io.StringIO(), io.StringIO()) == 0
    shown = capsys.readouterr().out  # argparse prints help to sys.stdout
    assert all(name in shown for name in ("upload", "check-duplicates", "etl", "worker"))
