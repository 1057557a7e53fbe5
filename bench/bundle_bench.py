"""Packaged app benchmark (issue 7): bundle size on disk, and cold start to window shown.

Run through bench/bundle.sh. Start-up is measured from outside: the clock
(time.monotonic) starts just before the bundle's binary is spawned with the
hidden ``--startup-timing`` flag, and stops when its stdout line arrives, which
the app prints at the main window's first expose event (then it quits). "Cold"
runs drop the page cache first (``echo 3 > /proc/sys/vm/drop_caches``, as root);
"warm" runs follow each other. Each run has fresh config and data folders.

Two start-up configurations: AWS (credentials found, no sandbox: the common
case) and sandbox (settings ``sandbox = true``: the window comes up while the
sandbox server, the same binary, starts beside it). On a real X server (Xvfb)
when there is one, else Qt's offscreen platform.

``--exclusions`` builds the bundle once per exclusion rule with only that rule
turned off (HMA_BUNDLE_KEEP), and once with all off, to show what each saves.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from results_file import append_to_section  # bench/ is the script's folder

REPO = Path(__file__).resolve().parents[1]
APP_ID = "hma-ingest"
SECTION = "## Packaged app"
sys.path.insert(0, str(REPO / "packaging"))
import build_info  # noqa: E402
import bundle_filter  # noqa: E402


def bundle_bytes(bundle: Path) -> int:
    return sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())


def biggest_parts(bundle: Path, count: int = 8) -> list[tuple[str, int]]:
    """The largest top-level parts of _internal/ (a folder counts as a whole)."""
    internal = bundle / "_internal"
    parts = []
    for child in internal.iterdir():
        if child.is_symlink():
            continue
        size = bundle_bytes(child) if child.is_dir() else child.stat().st_size
        parts.append((child.name, size))
    parts.append((APP_ID + " (executable, Python archive)", (bundle / APP_ID).stat().st_size))
    return sorted(parts, key=lambda p: -p[1])[:count]


def ensure_bundle(bundle: Path) -> None:
    info = build_info.read(bundle)
    fresh = (
        info is not None
        and not info.get("exclusions_off")
        and info.get("digest") == build_info.source_digest(REPO)
    )
    if not fresh:
        print("bundle.sh: building dist/hma-ingest (bash packaging/build.sh)", flush=True)
        subprocess.run(["bash", str(REPO / "packaging" / "build.sh")], check=True)


@contextlib.contextmanager
def x_server() -> Iterator[str | None]:
    """A private Xvfb display, or None (then Qt's offscreen platform)."""
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        yield None
        return
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1400x950x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,),
    )  # fmt: skip
    os.close(write_end)
    try:
        with os.fdopen(read_end) as ready:
            number = ready.readline().strip()
        yield f":{number}" if number else None
    finally:
        server.terminate()
        server.wait(10)


def cold_read_speed(bundle: Path) -> float | None:
    """MB/s reading the bundle's largest file right after dropping the page cache."""
    biggest = max(
        (p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()),
        key=lambda p: p.stat().st_size,
    )
    if not drop_caches():
        return None
    started = time.monotonic()
    size = len(biggest.read_bytes())
    return size / 1e6 / max(time.monotonic() - started, 1e-6)


def drop_caches() -> bool:
    try:
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        return False
    return True


def start_once(executable: Path, display: str | None, mode: str) -> tuple[float, float | None]:
    """(seconds to the window's first expose measured outside, the app's own figure)."""
    with tempfile.TemporaryDirectory(prefix="hma-bench-") as tmp:
        config = Path(tmp) / "config"
        config.mkdir()
        if mode == "sandbox":
            (config / "settings.toml").write_text("sandbox = true\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HMA_", "AWS_", "QT_"))}
        env.update(HMA_CONFIG_DIR=str(config), HMA_DATA_DIR=str(Path(tmp) / "data"))
        env.pop("PYTHONPATH", None)
        if mode == "aws":  # credentials found: no first-run question, no sandbox
            dummy = "bench"  # never sent anywhere: the window shows before any request
            env.update(AWS_ACCESS_KEY_ID=dummy, AWS_SECRET_ACCESS_KEY=dummy)
            env["AWS_DEFAULT_REGION"] = "us-east-1"
        if display:
            env["DISPLAY"] = display
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
        started = time.monotonic()
        app = subprocess.Popen(
            [str(executable), "--startup-timing"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            env=env, text=True, cwd=tmp,
        )  # fmt: skip
        assert app.stdout is not None
        shown = None
        inside: float | None = None
        for line in app.stdout:
            if line.startswith("startup-timing:"):
                shown = time.monotonic() - started
                words = line.split()
                with contextlib.suppress(ValueError, IndexError):
                    inside = float(words[words.index("shown") + 1])
                break
        app.stdout.close()
        code = app.wait(60)
        if shown is None or code != 0:
            raise SystemExit(f"bundle.sh: the app exited {code} without showing its window")
        return shown, inside


def measure_starts(executable: Path, runs: int, display: str | None) -> dict[str, object]:
    results: dict[str, object] = {}
    can_drop = os.geteuid() == 0 and Path("/proc/sys/vm/drop_caches").exists()
    for mode in ("aws", "sandbox"):
        for kind in ("cold", "warm"):
            if kind == "cold" and not can_drop:
                continue
            if kind == "warm":
                start_once(executable, display, mode)  # fill the cache
            outside, inside = [], []
            for _ in range(runs):
                if kind == "cold":
                    drop_caches()
                seconds, own = start_once(executable, display, mode)
                outside.append(seconds)
                if own is not None:
                    inside.append(own)
                print(f"  {mode} {kind}: {seconds:.3f} s", flush=True)
            results[f"{mode}-{kind}"] = {
                "median": statistics.median(outside),
                "min": min(outside),
                "max": max(outside),
                "inside_median": statistics.median(inside) if inside else None,
                "runs": outside,
            }
    results["cold_possible"] = can_drop
    if can_drop:
        results["cold_read_mb_s"] = cold_read_speed(executable.parent)
    return results


def measure_exclusions(work: Path) -> list[tuple[str, int]]:
    """(rule, bundle bytes with only that rule off), plus ("all", every rule off)."""
    python = REPO / "packaging" / "build" / "venv" / "bin" / "python"
    names = [rule.name for rule in bundle_filter.RULES] + list(bundle_filter.MODULE_RULES)
    sizes = []
    for keep in [",".join(names), *names]:
        dist = work / "dist"
        shutil.rmtree(dist, ignore_errors=True)
        env = dict(os.environ, HMA_BUNDLE_KEEP=keep)
        print(f"bundle.sh: building with {keep!r} kept", flush=True)
        subprocess.run(
            [str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR",
             "--distpath", str(dist), "--workpath", str(work / "build"),
             str(REPO / "packaging" / "hma.spec")],
            check=True, env=env, cwd=REPO,
        )  # fmt: skip
        label = "all" if "," in keep else keep
        sizes.append((label, bundle_bytes(dist / APP_ID)))
    return sizes


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def report(
    args: argparse.Namespace,
    bundle: Path,
    starts: dict[str, object],
    exclusions: list[tuple[str, int]] | None,
    display: str | None,
) -> list[str]:
    size = bundle_bytes(bundle)
    info = build_info.read(bundle) or {}
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "bash bench/bundle.sh" + "".join(f" {a}" for a in sys.argv[1:] if a != "--no-write")
    load = os.getloadavg()[0]
    platform_name = "xcb on Xvfb" if display else "offscreen"
    lines = [
        "",
        f"### {now} — `{command}`",
        "",
        f"{platform.node()}: {os.cpu_count()} cores, Linux {platform.release()}, "
        f"bundle {info.get('version')} built {info.get('built')}; Qt platform {platform_name}; "
        f"load average (1 min) {load:.2f} at the end.",
        "",
        f"**Size on disk**: {mib(size)} ({size / 1e6:.1f} MB) in `dist/hma-ingest` "
        f"(regular files; target ≤ 200 MB: {'met' if size <= 200e6 else 'SHORT'}).",
        "",
        "| biggest parts | size |",
        "|---|---|",
        *[f"| {name} | {mib(n)} |" for name, n in biggest_parts(bundle)],
        "",
        f"**Start to window shown** (median of {args.runs}; outside clock from spawn to the "
        "first expose line; last column: the app's own figure, from /proc):",
        "",
        "| configuration | median | min | max | app's own (median) |",
        "|---|---|---|---|---|",
    ]
    for key, label in (
        ("aws-cold", "cold, AWS credentials (no sandbox)"),
        ("aws-warm", "warm, AWS credentials"),
        ("sandbox-cold", "cold, sandbox (server child starts alongside)"),
        ("sandbox-warm", "warm, sandbox"),
    ):
        row = starts.get(key)
        if not isinstance(row, dict):
            continue
        own = row["inside_median"]
        lines.append(
            f"| {label} | {row['median']:.3f} s | {row['min']:.3f} s | {row['max']:.3f} s | "
            f"{own:.3f} s |"
            if own is not None
            else f"| {label} | {row['median']:.3f} s | "
            f"{row['min']:.3f} s | {row['max']:.3f} s | – |"
        )
    cold = starts.get("aws-cold")
    if isinstance(cold, dict):
        verdict = "met" if cold["median"] <= 2.0 else "SHORT"
        lines += ["", f"Target ≤ 2 s cold start: {verdict} ({cold['median']:.2f} s, AWS case)."]
    elif not starts.get("cold_possible"):
        lines += ["", "Cold runs skipped: dropping the page cache needs root."]
    speed = starts.get("cold_read_mb_s")
    if isinstance(speed, float):
        lines += [
            "",
            f'"Cold" drops this machine\'s page cache before each run; its disk then reads '
            f"at {speed:,.0f} MB/s (the bundle's largest file, just after a drop), so a "
            "machine with a slower disk starts slower than this.",
        ]
    if exclusions:
        all_off = dict(exclusions)["all"]
        lines += [
            "",
            "**What each exclusion saves** (bundle built with only that rule off, vs. the "
            f"shipped {mib(size)}; every rule off: {mib(all_off)}):",
            "",
            "| rule (packaging/bundle_filter.py) | size with it off | saves |",
            "|---|---|---|",
        ]
        for name, with_off in exclusions:
            if name != "all":
                lines.append(f"| `{name}` | {mib(with_off)} | {mib(with_off - size)} |")
    lines.append("")
    return lines


def record(lines: list[str], path: Path) -> None:
    append_to_section(SECTION, lines, path)
    print(f"bundle.sh: recorded in {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--exclusions", action="store_true", help="measure each exclusion")
    parser.add_argument("--offscreen", action="store_true", help="Qt offscreen, even with Xvfb")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    args = parser.parse_args()

    bundle = REPO / "dist" / APP_ID
    ensure_bundle(bundle)
    executable = bundle / APP_ID
    print(f"bundle.sh: {mib(bundle_bytes(bundle))} in {bundle}", flush=True)
    with contextlib.ExitStack() as stack:
        display = None if args.offscreen else stack.enter_context(x_server())
        starts = measure_starts(executable, args.runs, display)
    exclusions = None
    if args.exclusions:
        with tempfile.TemporaryDirectory(prefix="hma-bundle-sizes-") as work:
            exclusions = measure_exclusions(Path(work))
    lines = report(args, bundle, starts, exclusions, display)
    print("\n".join(lines))
    print(json.dumps(starts, indent=1, default=str))
    if not args.no_write:
        record(lines, args.results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
