"""The bundle's stamp: the version and a digest of everything the build reads.

hma.spec writes ``build-info.json`` into the bundle; the packaged-app tests
compute the digest of the checkout again and rebuild when it differs, so they
never test a stale bundle.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

# What a build reads from the checkout (the locked dependencies included).
INPUTS = (
    "main.py",
    "pyproject.toml",
    "uv.lock",
    "hma_gui",
    "resources/icons",
    "resources/styles",
    "resources/hma-ingest.desktop",
    "packaging/hma.spec",
    "packaging/bundle_filter.py",
    "packaging/build_info.py",
)
_SKIP_PARTS = {"__pycache__", ".mypy_cache"}


def _files(repo: Path) -> list[Path]:
    found: list[Path] = []
    for name in INPUTS:
        path = repo / name
        if path.is_dir():
            found.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and not _SKIP_PARTS & set(p.parts) and p.suffix != ".pyc"
            )
        elif path.is_file():
            found.append(path)
    return sorted(found)


def source_digest(repo: Path) -> str:
    digest = hashlib.sha256()
    for path in _files(repo):
        digest.update(path.relative_to(repo).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def write(target: Path, repo: Path, *, version: str, kept: list[str]) -> dict[str, object]:
    info: dict[str, object] = {
        "version": version,
        "digest": source_digest(repo),
        "exclusions_off": kept,  # HMA_BUNDLE_KEEP: a measurement build, not the one we ship
        "platform": sys.platform,
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    target.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


def read(bundle: Path) -> dict[str, object] | None:
    """The stamp of a built bundle (dist/hma-ingest), or None if there is none."""
    for candidate in (bundle / "_internal" / "build-info.json", bundle / "build-info.json"):
        if candidate.is_file():
            loaded: dict[str, object] = json.loads(candidate.read_text(encoding="utf-8"))
            return loaded
    return None
