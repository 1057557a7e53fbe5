"""The core and the CLI never import Qt: a CLI or a headless worker must not need PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import hma_gui.cli
import hma_gui.core


def test_importing_every_core_and_cli_module_loads_no_qt() -> None:
    modules = sorted(
        m.name
        for package in (hma_gui.core, hma_gui.cli)
        for m in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
        if not m.name.endswith(".__main__")  # it would run the command
    )
    assert len(modules) > 40
    assert "hma_gui.core.etl.mysql_sink" in modules and "hma_gui.cli.etl_cmd" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
