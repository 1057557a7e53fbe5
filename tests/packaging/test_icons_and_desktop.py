"""The app icon files and the desktop entry that the bundle and install-linux.sh ship."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys

import pytest

from hma_gui import APP_ID, APP_NAME
from tests.conftest import REPO_ROOT, require_tool

DESKTOP_FILE = REPO_ROOT / "resources" / f"{APP_ID}.desktop"


def test_the_generated_icons_are_complete() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "make_icons.py"), "--check"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_the_icons_are_drawn_not_empty() -> None:
    from PIL import Image

    for size in (16, 48, 256):
        path = REPO_ROOT / "resources/icons/hicolor" / f"{size}x{size}/apps/{APP_ID}.png"
        with Image.open(path) as image:
            rgba = image.convert("RGBA")
            histogram = rgba.getchannel("A").histogram()  # pixels per alpha value
            opaque = sum(histogram[201:])
            assert opaque > 0.6 * size * size, f"{path.name} {size}px is mostly transparent"
            assert len(rgba.getcolors(maxcolors=1 << 16) or []) > 8  # the gradient and the cloud


def test_the_desktop_entry_names_the_app() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(DESKTOP_FILE, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Name"] == APP_NAME
    assert section["Icon"] == APP_ID  # the hicolor icons are named after it
    assert section["Exec"] == APP_ID  # install-linux.sh writes the absolute path
    # Qt's setDesktopFileName(APP_ID) and the binary's name: see test_bundle_x11.py
    assert section["StartupWMClass"] == APP_ID
    assert section["Terminal"] == "false"


def test_the_desktop_entry_is_valid() -> None:
    validate = require_tool("desktop-file-validate")
    done = subprocess.run(
        [validate, str(DESKTOP_FILE)], capture_output=True, text=True, check=False, timeout=30
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout.lower(), done.stdout


@pytest.mark.gui  # builds the app's QGuiApplication (in a subprocess, offscreen)
def test_the_app_sets_the_desktop_file_name() -> None:
    code = (
        "from PySide6.QtGui import QGuiApplication\n"
        "from hma_gui.ui.app import create_application\n"
        "app = create_application(['x'])\n"
        "print(QGuiApplication.desktopFileName(), app.windowIcon().isNull())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [APP_ID, "False"]
