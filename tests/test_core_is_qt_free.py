"""The core and the CLI never import Qt: a CLI or a headless worker must not need PySide6."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import hma_gui.cli
import hma_gui.core
from tests.early import Results, outputs, python, starts_early


def core_and_cli_modules() -> list[str]:
    return sorted(
        m.name
        for package in (hma_gui.core, hma_gui.cli)
        for m in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
        if not m.name.endswith(".__main__")  # it would run the command
    )


def import_them_all(folder: Path) -> list[list[str]]:
    code = (
        "import importlib, sys\n"
        f"for name in {core_and_cli_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n"
    )
    return python(code)


@starts_early(import_them_all)
def test_importing_every_core_and_cli_module_loads_no_qt(early: Results) -> None:
    modules = core_and_cli_modules()
    assert len(modules) > 40
    assert "hma_gui.core.etl.mysql_sink" in modules and "hma_gui.cli.etl_cmd" in modules
    [out] = outputs(early)
    assert out.strip() == "[]"
