"""bench/RESULTS.md: one `## Section` per benchmark; a run adds its entry to its section."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# Benchmark results\n"


def _section_span(text: str, section: str) -> tuple[int, int] | None:
    """Start and end of ``## section`` (to the next ``## `` heading or the end)."""
    found = re.search(rf"^{re.escape(section)}\n.*?(?=^## |\Z)", text, re.S | re.M)
    return (found.start(), found.end()) if found else None


def append_to_section(section: str, lines: list[str], path: Path = RESULTS) -> None:
    """Add `lines` at the end of `section` (created at the end of the file if missing)."""
    text = path.read_text() if path.exists() else TITLE
    span = _section_span(text, section)
    entry = "\n".join(lines).strip("\n") + "\n"
    if span is None:
        text = text.rstrip("\n") + f"\n\n{section}\n\n{entry}"
    else:
        start, end = span
        body = text[start:end].rstrip("\n")
        text = text[:start] + body + "\n\n" + entry + ("\n" + text[end:] if text[end:] else "")
    path.write_text(text.rstrip("\n") + "\n")


def replace_section(
    section: str, lines: list[str], *, keep: str = "", path: Path = RESULTS
) -> None:
    """Replace `section`'s body with `lines`, keeping its `keep` subsection (hand-written)."""
    text = path.read_text() if path.exists() else TITLE
    body = "\n".join(lines).rstrip() + "\n"
    span = _section_span(text, section)
    if span is None:
        text = text.rstrip() + "\n\n" + body
    else:
        start, end = span
        old = text[start:end]
        kept = old[old.index(keep) :] if keep and keep in old else ""
        body += "\n" + kept.rstrip() + "\n" if kept else ""
        text = text[:start] + body + "\n" + text[end:]
    path.write_text(text.rstrip() + "\n")
