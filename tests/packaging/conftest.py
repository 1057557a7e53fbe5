"""The packaged app under test: dist/hma-ingest, built by packaging/build.sh.

The `bundle` fixture builds the bundle once per session, unless one exists whose
stamp (``_internal/build-info.json``, written by hma.spec) matches a digest of
this checkout's sources, lock file and spec: then that one is reused. With
``HMA_BUNDLE_DIR`` set, that bundle is used and must be fresh (the test fails
otherwise, rather than test stale code).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from hma_gui import APP_ID
from tests.conftest import REPO_ROOT

BUILD_TIMEOUT_S = 900
DEFAULT_BUNDLE = REPO_ROOT / "dist" / APP_ID


def load_packaging_module(name: str) -> ModuleType:
    """packaging/<name>.py (packaging/ is not a package: PyPI's `packaging` owns the name)."""
    path = REPO_ROOT / "packaging" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"hma_packaging_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build_info = load_packaging_module("build_info")


def stale_reason(bundle: Path) -> str | None:
    """Why `bundle` is not a fresh build of this checkout (None: it is)."""
    if not (bundle / APP_ID).is_file():
        return f"no {APP_ID} executable in {bundle}"
    info = build_info.read(bundle)
    if info is None:
        return f"{bundle} has no build-info.json"
    if info.get("exclusions_off"):
        return f"{bundle} was built with exclusions turned off ({info['exclusions_off']})"
    if info.get("digest") != build_info.source_digest(REPO_ROOT):
        return f"{bundle} was built from other sources ({info.get('built')})"
    return None


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a bundle: no PYTHONPATH (it must carry everything it needs)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def bundle() -> Path:
    explicit = os.environ.get("HMA_BUNDLE_DIR")
    target = Path(explicit).resolve() if explicit else DEFAULT_BUNDLE
    reason = stale_reason(target)
    if reason is None:
        return target
    if explicit:
        pytest.fail(f"HMA_BUNDLE_DIR: {reason}; rebuild it with: bash packaging/build.sh")
    log = REPO_ROOT / "packaging" / "build" / "test-build.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in clean_env().items() if not k.startswith(("HMA_", "AWS_"))}
    with log.open("w") as out:
        done = subprocess.run(
            ["bash", str(REPO_ROOT / "packaging" / "build.sh")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=REPO_ROOT, timeout=BUILD_TIMEOUT_S, check=False,
        )  # fmt: skip
    if done.returncode != 0:
        pytest.fail(f"packaging/build.sh failed ({done.returncode}):\n{log.read_text()[-4000:]}")
    reason = stale_reason(target)
    assert reason is None, reason
    return target


@pytest.fixture(scope="session")
def executable(bundle: Path) -> Path:
    return bundle / APP_ID


def run_bundle(
    executable: Path,
    *args: str,
    timeout: float = 180,
    env: dict[str, str] | None = None,
    **popen: object,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(executable), *args],
        capture_output=True, text=True, timeout=timeout, check=False,
        stdin=subprocess.DEVNULL, env=env or clean_env(QT_QPA_PLATFORM="offscreen"),
        **popen,  # type: ignore[arg-type]
    )  # fmt: skip


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_for(condition: object, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def app_process() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes a test starts; killed (with their children) if still running at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            for child in children_of(process.pid):
                _kill(child)
            process.kill()
            process.wait(10)


def _kill(pid: int) -> None:
    import contextlib
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def sandbox_children(pid: int) -> list[int]:
    """The sandbox server children of `pid`: the bundle itself, or ``-m ...sandbox_server``."""
    children = []
    for child in children_of(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--hma-sandbox-server" in cmdline or b"hma_gui.core.s3.sandbox_server" in cmdline:
            children.append(child)
    return children


def write_settings(config_dir: Path, lines: Sequence[str]) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
