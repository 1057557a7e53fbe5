"""The package map of docs/architecture.md: every module of hma_gui with its line count.

    python tools/package_map.py           # print the map
    python tools/package_map.py --write   # replace the map in docs/architecture.md

A package shows the sum of its modules' lines; empty ``__init__.py`` files are left out.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- package map: begin -->", "<!-- package map: end -->"
WIDTH = 44  # where the line counts end


def lines_of(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def total(folder: Path) -> int:
    return sum(lines_of(p) for p in folder.rglob("*.py"))


def row(indent: str, name: str, count: int) -> str:
    return f"{indent}{name} {count:>{WIDTH - len(indent) - len(name) - 1},}"


def tree(folder: Path, indent: str = "") -> list[str]:
    rows: list[str] = []
    for path in sorted(folder.iterdir(), key=lambda p: (p.is_dir(), p.name)):
        if path.is_dir() and path.name != "__pycache__" and any(path.rglob("*.py")):
            rows.append(row(indent, path.name + "/", total(path)))
            rows.extend(tree(path, indent + "    "))
        elif path.suffix == ".py" and lines_of(path):
            rows.append(row(indent, path.name, lines_of(path)))
    return rows


def package_map() -> str:
    package = ROOT / "hma_gui"
    return "\n".join(["```", row("", "hma_gui/", total(package)), *tree(package, "    "), "```"])


def main(argv: list[str]) -> int:
    text = package_map()
    if "--write" not in argv:
        print(text)
        return 0
    doc = DOC.read_text(encoding="utf-8")
    start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
    DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
