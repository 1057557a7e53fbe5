"""What each step of the newcomer's path checks on the screen (tools/newcomer_path.py).

* `Screens.snap(name)` — a screenshot of every visible window and dialog (Qt's
  `grab`) and of the whole X screen (ImageMagick's ``import -window root``, else
  Qt's `grabWindow(0)`); each must not be blank.
* `blank_reason(path)` — why an image is blank (too few colours, one colour
  almost everywhere), or None. The test calls it again on the saved files.
* `off_screen(...)` — the windows that do not lie whole within the screen, as
  Qt sees them (points) and as the X server sees them (``xdotool``, pixels).
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

MIN_COLOURS = 12  # a window with text, icons and a table has hundreds
MAX_SHARE = 0.97  # one colour over 97 % of the picture: blank


def blank_reason(path: Path, min_colours: int = MIN_COLOURS) -> str | None:
    """Why the image at `path` is blank, or None; sampled on a grid of about 250×250."""
    from PySide6.QtGui import QImage

    image = QImage(str(path))
    if image.isNull():
        return f"{path.name}: not an image"
    step_x, step_y = max(1, image.width() // 250), max(1, image.height() // 250)
    colours = Counter(
        image.pixel(x, y)
        for y in range(0, image.height(), step_y)
        for x in range(0, image.width(), step_x)
    )
    total = sum(colours.values())
    top_share = colours.most_common(1)[0][1] / total
    if len(colours) < min_colours:
        return f"{path.name}: {len(colours)} colours"
    if top_share > MAX_SHARE:
        return f"{path.name}: one colour over {top_share:.0%}"
    return None


def x_windows() -> list[tuple[str, int, int, int, int]]:
    """(name, x, y, width, height) in pixels of the mapped top-level X windows (xdotool)."""
    xdotool = shutil.which("xdotool")
    if xdotool is None:
        return []
    found = subprocess.run(
        [xdotool, "search", "--onlyvisible", "--name", "."],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    windows = []
    for wid in found.stdout.split():
        shell = subprocess.run(
            [xdotool, "getwindowname", wid, "getwindowgeometry", "--shell", wid],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.splitlines()
        if not shell:
            continue
        values = dict(line.split("=", 1) for line in shell[1:] if "=" in line)
        try:
            x, y, w, h = (int(values[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        except (KeyError, ValueError):
            continue
        if w > 1 and h > 1:  # Qt's 1×1 helper windows
            windows.append((shell[0], x, y, w, h))
    return windows


class Screens:
    """Screenshots and the on-screen check of one run, numbered by step."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.shots: list[str] = []

    def windows(self) -> list[object]:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        popups = (Qt.WindowType.ToolTip, Qt.WindowType.Popup)
        return [
            w
            for w in QApplication.topLevelWidgets()
            if w.isVisible() and w.isWindow() and w.windowType() not in popups
        ]

    def off_screen(self) -> list[str]:
        """The windows that stick out of the screen (Qt's points, X's pixels), described."""
        from PySide6.QtGui import QGuiApplication

        screen = QGuiApplication.primaryScreen()
        area, ratio = screen.geometry(), screen.devicePixelRatio()
        problems = []
        for window in self.windows():
            frame = window.frameGeometry()  # type: ignore[attr-defined]
            if not area.contains(frame):
                name = window.objectName() or type(window).__name__  # type: ignore[attr-defined]
                problems.append(
                    f"{name} at {frame.x()},{frame.y()} {frame.width()}×{frame.height()} "
                    f"outside the screen {area.width()}×{area.height()}"
                )
        pixels_w, pixels_h = round(area.width() * ratio), round(area.height() * ratio)
        for name, x, y, w, h in x_windows():
            if x < 0 or y < 0 or x + w > pixels_w or y + h > pixels_h:
                problems.append(
                    f"X window {name!r} at {x},{y} {w}×{h} px outside {pixels_w}×{pixels_h} px"
                )
        return problems

    def snap(self, number: int, name: str) -> list[str]:
        """Save the windows and the whole screen; the problems (blank, off the screen)."""
        from PySide6.QtGui import QGuiApplication

        problems = self.off_screen()
        paths = []
        for window in self.windows():
            label = window.objectName() or type(window).__name__  # type: ignore[attr-defined]
            path = self.out / f"{number:02d}-{name}-{label}.png"
            window.grab().save(str(path))  # type: ignore[attr-defined]
            paths.append(path)
        screen_path = self.out / f"{number:02d}-{name}-screen.png"
        magick = shutil.which("import")
        if magick is not None:
            subprocess.run([magick, "-window", "root", str(screen_path)], timeout=30, check=False)
        if not screen_path.exists():
            QGuiApplication.primaryScreen().grabWindow(0).save(str(screen_path))
        paths.append(screen_path)
        for path in paths:
            reason = blank_reason(path)
            if reason is not None:
                problems.append(f"blank screenshot: {reason}")
            self.shots.append(path.name)
        return problems
