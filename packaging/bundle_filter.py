"""What hma.spec leaves out of the bundle, and how it drops the libraries that came with it.

PyInstaller's hooks collect a Qt module's plugins and translations wholesale,
and the host libraries each plugin links to. `prune()` takes the collected
binaries and datas, drops what a rule says (a plugin, a translation, a Qt
library the app never loads), then drops the shared libraries that only the
dropped files needed: removing ``platformthemes/libqgtk3.so`` also removes the
host's GTK, cairo and pango that came with it. A library nothing links to (a
``ctypes`` load PyInstaller found) stays, as it was reachable neither before
nor after.

Each rule has a name; ``HMA_BUNDLE_KEEP=name,name`` turns rules off, which is
how ``bench/bundle.sh --exclusions`` measures what each one saves.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

# (dest_name, src_name, typecode), as in PyInstaller's TOC lists.
TocEntry = tuple[str, str, str]


@dataclass(frozen=True)
class Rule:
    name: str
    why: str
    pattern: re.Pattern[str]  # matched against the destination path, with "/" separators


def _rule(name: str, why: str, *patterns: str) -> Rule:
    return Rule(name, why, re.compile("|".join(f"(?:{p})" for p in patterns), re.I))


# Qt's files live under PySide6/Qt/ on Linux and macOS, under PySide6/ on Windows.
_QT = r"(?:^|/)PySide6/(?:Qt/)?"

RULES: tuple[Rule, ...] = (
    _rule(
        "gtk-theme",
        "the host's GTK 3 theme plugin drags in GTK, cairo and pango; Fusion is our style",
        _QT + r"plugins/platformthemes/[^/]*gtk3",
    ),
    _rule(
        "qt-translations",
        "the app is in English only and installs no QTranslator",
        _QT + r"translations/",
    ),
    _rule(
        "embedded-platforms",
        "framebuffer, EGLFS, VNC and Vulkan-display platforms are for kiosks, not desktops "
        "(xcb, wayland, offscreen, windows and cocoa stay)",
        _QT + r"plugins/platforms/[^/]*(?:eglfs|linuxfb|vnc|vkkhrdisplay|minimal)",
        _QT + r"plugins/egldeviceintegrations/",
        _QT + r"plugins/generic/",  # evdev / tuio input for framebuffer platforms
    ),
    _rule(
        "image-formats",
        "the app reads PNG (built into QtGui) and SVG only",
        _QT + r"plugins/imageformats/(?![^/]*svg)",
    ),
    _rule(
        "qt-unused-modules",
        "the QtDBus bindings PyInstaller adds for a library Qt links but the app never "
        "imports, and QtNetwork's TLS and network-information plugins (QtNetwork itself "
        "stays: its QLocalServer keeps one window per data directory)",
        _QT + r"QtDBus\.[^/]*(?:\.so|\.pyd)$",
        _QT + r"plugins/(?:tls|networkinformation)/",
    ),
    _rule(
        "botocore-data",
        "boto3 here talks to S3 and SQS (the shared queue) only; STS, SSO, SSO-OIDC and "
        "Sign-in serve credential providers (assume-role, SSO and console-login profiles)",
        r"(?:^|/)botocore/data/(?!(?:s3|sqs|sts|sso|sso-oidc|signin)/|[^/]*\.json$)",
    ),
)


# Python packages left out of the analysis, by rule name.
TEST_PACKAGES = ("pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "PyInstaller", "tkinter")

# moto's sandbox serves S3 only. moto.backends names every service for type checkers,
# so without this PyInstaller takes all ~170 of them and what they use (sympy,
# networkx, cfn-lint, docker, graphql...). Kept: what the S3 server imports, and what
# S3 features import lazily (IAM policies, notifications to SQS/SNS/EventBridge, KMS).
# fmt: off
MOTO_KEEP = frozenset((
    "backend_index", "backends", "core", "moto_api", "moto_server", "server", "settings",
    "utilities", "s3", "s3bucket_path", "s3control", "cloudwatch", "events", "iam", "sts",
    "kms", "sqs", "sns",
))
# fmt: on
# The HTTP API (`hma-ingest serve`, the `service` extra) never enters the desktop bundle.
SERVICE_PACKAGES = ("fastapi", "uvicorn", "starlette", "hma_gui.service")
# obstore (the small-file transfer path, Rust, 14.6 MiB) took the bundle to 203 MB, over
# its 200 MB budget: the desktop app sends small files with botocore (HMA_TRANSFER=auto
# finds no obstore). The CLI, the worker and the service installed from the wheel use it.
OPTIONAL_PACKAGES = ("obstore",)
MODULE_RULES = ("test-packages", "moto-services", "service-packages", "obstore")


def module_excludes(keep: Iterable[str] = ()) -> list[str]:
    """Modules to pass as ``Analysis(excludes=...)``."""
    kept = set(keep)
    excludes: list[str] = []
    if "test-packages" not in kept:
        excludes += TEST_PACKAGES
    if "service-packages" not in kept:
        excludes += SERVICE_PACKAGES
    if "obstore" not in kept:
        excludes += OPTIONAL_PACKAGES
    if "moto-services" not in kept:
        import importlib.util
        import pkgutil

        # find_spec locates the package without running moto/__init__ (and boto3 with it)
        moto = importlib.util.find_spec("moto")
        if moto is None or moto.submodule_search_locations is None:
            raise ModuleNotFoundError("moto is not installed", name="moto")
        excludes += sorted(
            f"moto.{info.name}"
            for info in pkgutil.iter_modules(moto.submodule_search_locations)
            if info.name not in MOTO_KEEP
        )
    return excludes


def check_keep(keep: Iterable[str]) -> None:
    known = {rule.name for rule in RULES} | set(MODULE_RULES)
    unknown = set(keep) - known
    if unknown:
        raise SystemExit(
            f"HMA_BUNDLE_KEEP: unknown rule(s) {sorted(unknown)}; known: {sorted(known)}"
        )


def active_rules(keep: Iterable[str] = ()) -> list[Rule]:
    check_keep(keep)
    return [rule for rule in RULES if rule.name not in set(keep)]


def keep_from_env() -> list[str]:
    return [x.strip() for x in os.environ.get("HMA_BUNDLE_KEEP", "").split(",") if x.strip()]


def _dest(entry: TocEntry) -> str:
    return entry[0].replace("\\", "/")


def _matching(toc: Iterable[TocEntry], rules: list[Rule]) -> set[str]:
    return {_dest(e) for e in toc if any(r.pattern.search(_dest(e)) for r in rules)}


def _is_root(entry: TocEntry) -> bool:
    """A binary loaded on its own (extension module, plugin, Python), not just as a dependency."""
    dest = _dest(entry)
    return (
        entry[2] == "EXTENSION"
        or "/plugins/" in f"/{dest}"
        or bool(re.match(r"(?:lib)?python\d", PurePosixPath(dest).name))
    )


def _reachable(
    binaries: list[TocEntry], roots: set[str], imports: Callable[[str], set[str]]
) -> set[str]:
    """Destination paths of the binaries reachable from `roots` by link-time imports."""
    by_name: dict[str, list[str]] = {}
    for entry in binaries:
        by_name.setdefault(PurePosixPath(_dest(entry)).name, []).append(_dest(entry))
    source = {_dest(e): e[1] for e in binaries}
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        dest = todo.pop()
        if dest in seen:
            continue
        seen.add(dest)
        for name in imports(source[dest]):
            todo.extend(by_name.get(PurePosixPath(name).name, []))
    return seen


def prune(
    binaries: list[TocEntry],
    datas: list[TocEntry],
    rules: list[Rule],
    imports: Callable[[str], set[str]],
) -> tuple[list[TocEntry], list[TocEntry], list[str]]:
    """(binaries kept, datas kept, what was dropped) for `rules`."""
    dropped = _matching(binaries, rules) | _matching(datas, rules)
    libraries = [e for e in binaries if e[2] != "SYMLINK"]
    all_roots = {_dest(e) for e in libraries if _is_root(e)}
    before = _reachable(libraries, all_roots, imports)
    kept_libraries = [e for e in libraries if _dest(e) not in dropped]
    after = _reachable(kept_libraries, all_roots - dropped, imports)
    dropped |= (before - after) - all_roots
    # PyInstaller's top-level links to moved libraries (libQt6Core.so.6 -> PySide6/Qt/lib/...)
    dropped |= {_dest(e) for e in [*binaries, *datas] if e[2] == "SYMLINK" and e[1] in dropped}
    return (
        [e for e in binaries if _dest(e) not in dropped],
        [e for e in datas if _dest(e) not in dropped],
        sorted(dropped),
    )


def pyinstaller_imports(path: str) -> set[str]:
    """Names of the libraries `path` links to, through PyInstaller's own analysis."""
    from PyInstaller.depend import bindepend

    try:
        return {name for name, _ in bindepend.get_imports(path)}
    except Exception:  # noqa: BLE001 - not a binary PyInstaller can read: it imports nothing
        return set()
