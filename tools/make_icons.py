"""Render the app icon from its SVG source into the files desktops and packagers want.

    .venv/bin/python tools/make_icons.py          # rewrite the generated files
    .venv/bin/python tools/make_icons.py --check  # exit 1 if one is missing or has the wrong sizes

From ``resources/icons/hma-ingest.svg`` it writes:

* ``resources/icons/hicolor/<N>x<N>/apps/hma-ingest.png`` for the freedesktop icon
  theme (packaging/install-linux.sh copies the tree into ~/.local/share/icons);
* ``resources/icons/hma-ingest.ico`` (Windows: the .exe's icon, 16-256 px);
* ``resources/icons/hma-ingest.icns`` (macOS: the .app's icon, 32-1024 px).

Qt's SVG renderer draws every size from the vector (sharper small sizes than
scaling a bitmap down); Pillow packs the ICO and ICNS containers. The outputs
are committed: building the app needs neither this script nor Pillow.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "resources" / "icons"
SOURCE = ICONS / "hma-ingest.svg"
NAME = "hma-ingest"
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (32, 64, 128, 256, 512, 1024)


def hicolor_path(size: int) -> Path:
    return ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"


def render_png(svg: bytes, size: int) -> bytes:
    """The SVG drawn at `size` x `size` pixels, as PNG bytes (transparent background)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        render_png.app = QGuiApplication([])  # type: ignore[attr-defined]  # keep it alive
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def build() -> list[Path]:
    from PIL import Image

    svg = SOURCE.read_bytes()
    pngs = {size: render_png(svg, size) for size in {*HICOLOR_SIZES, *ICO_SIZES, *ICNS_SIZES}}
    images = {size: Image.open(io.BytesIO(data)).convert("RGBA") for size, data in pngs.items()}
    written = []
    for size in HICOLOR_SIZES:
        path = hicolor_path(size)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pngs[size])
        written.append(path)
    ico = ICONS / f"{NAME}.ico"
    images[256].save(
        ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != 256],
    )  # fmt: skip
    icns = ICONS / f"{NAME}.icns"
    images[1024].save(
        icns, format="ICNS", append_images=[images[s] for s in ICNS_SIZES if s != 1024]
    )
    return [*written, ico, icns]


def check() -> list[str]:
    """What is wrong with the generated files (empty: all present, right sizes)."""
    from PIL import Image

    problems = []
    for size in HICOLOR_SIZES:
        path = hicolor_path(size)
        if not path.is_file():
            problems.append(f"missing {path.relative_to(REPO)}")
            continue
        with Image.open(path) as image:
            if image.size != (size, size):
                problems.append(f"{path.relative_to(REPO)} is {image.size}, not {size}x{size}")
    for suffix, sizes in (("ico", ICO_SIZES), ("icns", ICNS_SIZES)):
        path = ICONS / f"{NAME}.{suffix}"
        if not path.is_file():
            problems.append(f"missing {path.relative_to(REPO)}")
            continue
        with Image.open(path) as image:
            found = {s[0] for s in image.info.get("sizes", ())}
            if suffix == "icns":  # (size, size, scale) triples; @2x entries count double
                found = {s[0] * s[2] for s in image.info.get("sizes", ())}
        if not set(sizes) <= found:
            problems.append(f"{path.name} has sizes {sorted(found)}, wants {list(sizes)}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(f"make_icons: {problem}", file=sys.stderr)
        return 1 if problems else 0
    for path in build():
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
