"""The core never imports Qt: a CLI or a headless worker must not need PySide6."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import hma_gui.core


def test_importing_every_core_module_loads_no_qt() -> None:
    modules = sorted(
        m.name for m in pkgutil.walk_packages(hma_gui.core.__path__, prefix="hma_gui.core.")
    )
    assert len(modules) > 40
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "import hma_gui.cli.main\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
