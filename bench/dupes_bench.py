"""Duplicate finders on one tree, in one run: hma-ingest against jdupes, fdupes and rmlint.

    python bench/dupes_bench.py [--tree DIR] [--files 50000] [--runs 3] [--no-record] [--warm-only]

Builds the tree with `make_dupes_tree.py` when it is missing, then times each
tool cold (page cache dropped before every run: root only; never with
``--warm-only``, for a shared machine) and warm, runs
interleaved so that a busy neighbour slows every tool alike, and our re-scan
with the hash cache. Checks that every tool reports the same groups, prints a
table of medians and ratios to jdupes, and appends it to ``bench/RESULTS.md``
under ``## Duplicates``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from results_file import append_to_section  # bench/ is the script's folder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Duplicates"

Groups = set[frozenset[str]]


def blank_line_groups(text: str) -> Groups:
    groups: Groups = set()
    for block in text.strip().split("\n\n"):
        paths = [line for line in block.splitlines() if line.strip()]
        if len(paths) > 1:
            groups.add(frozenset(paths))
    return groups


def rmlint_groups(path: Path) -> Groups:
    by_sum: dict[str, set[str]] = {}
    for item in json.loads(path.read_text()):
        if item.get("type") == "duplicate_file":
            by_sum.setdefault(item["checksum"], set()).add(item["path"])
    return {frozenset(paths) for paths in by_sum.values() if len(paths) > 1}


def our_groups(path: Path) -> Groups:
    """Groups from our default (table) output: "group N: …" then one indented path a line."""
    groups: Groups = set()
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        if line.startswith("group "):
            current = []
        elif current is not None and line.startswith("  "):
            current.append(line[2:].split("  (same file as ")[0])
        elif current is not None:
            groups.add(frozenset(current))
            current = None
    if current:
        groups.add(frozenset(current))
    return groups


class Tool:
    def __init__(
        self,
        name: str,
        argv: list[str],
        out: Path,
        parse: Callable[[Path], Groups],
        env: dict[str, str],
    ) -> None:
        self.name, self.argv, self.out, self.parse, self.env = name, argv, out, parse, env
        self.cold: list[float] = []
        self.warm: list[float] = []

    def run(self) -> float:
        with open(self.out, "w") as stdout:
            started = time.perf_counter()
            subprocess.run(
                self.argv, stdout=stdout, stderr=subprocess.DEVNULL, env=self.env, check=False
            )
            return time.perf_counter() - started


def drop_caches() -> bool:
    if os.geteuid() != 0:
        return False
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=Path("/tmp/hma-bench-dupes"))
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument(
        "--warm-only",
        action="store_true",
        help="never drop the page cache (a shared machine): warm runs only, even as root",
    )
    args = parser.parse_args()

    for tool in ("jdupes", "fdupes", "rmlint"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install jdupes fdupes rmlint)")
    tree = args.tree
    summary_file = tree / "summary.json"
    if not summary_file.exists():
        maker = [sys.executable, str(HERE / "make_dupes_tree.py"), str(tree / "files")]
        made = subprocess.run(
            [*maker, "--files", str(args.files)], capture_output=True, text=True, check=True
        )
        summary_file.write_text(made.stdout)
    summary = json.loads(summary_file.read_text())
    files = tree / "files"
    out = tree / "out"
    out.mkdir(exist_ok=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HMA_", "AWS_"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app has its bytecode compiled
    env.update(HMA_DATA_DIR=str(tree / "hma-data"), HMA_CONFIG_DIR=str(tree / "hma-config"))
    ours = str(Path(sys.executable).with_name("hma-ingest"))
    check = [ours, "check-duplicates", str(files)]
    tools = [
        Tool("jdupes", ["jdupes", "-r", "-q", str(files)], out / "jdupes.txt",
             lambda p: blank_line_groups(p.read_text()), env),
        Tool("fdupes", ["fdupes", "-r", "-n", "-q", str(files)], out / "fdupes.txt",
             lambda p: blank_line_groups(p.read_text()), env),
        Tool("rmlint", ["rmlint", "-T", "df", "-o", f"json:{out / 'rmlint.json'}", str(files)],
             out / "rmlint.log", lambda _: rmlint_groups(out / "rmlint.json"), env),
        Tool("hma-ingest", [*check, "--clear-cache"], out / "hma.txt", our_groups, env),
    ]  # fmt: skip
    rescan = Tool("hma-ingest re-scan", check, out / "hma-rescan.txt", our_groups, env)
    startup = Tool("hma-ingest --version", [ours, "--version"], out / "version.txt",
                   lambda _: set(), env)  # fmt: skip

    subprocess.run(
        [ours, "check-duplicates", str(files)], env=env, capture_output=True, check=False
    )
    cold = False if args.warm_only else drop_caches()
    for _ in range(args.runs if cold else 0):
        for tool in [*tools, rescan]:  # the re-scan finds the cache the run before it wrote
            drop_caches()
            tool.cold.append(tool.run())
    for tool in [*tools, rescan]:
        tool.run()  # warm-up: everything in the page cache
    for _ in range(args.runs):
        for tool in [*tools, rescan, startup]:
            tool.warm.append(tool.run())

    reference = tools[0].parse(tools[0].out)
    same = {t.name: t.parse(t.out) == reference for t in [*tools, rescan]}
    lines = table(tools, rescan, same, cold)
    base = statistics.median(tools[0].warm)
    floor = statistics.median(startup.warm)
    lines.append(
        f"| (start-up: `hma-ingest --version`) | | {floor:.2f} | | {floor / base:.2f}× | |"
    )
    print("\n".join(lines))
    if not args.no_record:
        record(lines, summary, args, check, cold)
    return 0 if all(same.values()) else 1


def table(tools: list[Tool], rescan: Tool, same: dict[str, bool], cold: bool) -> list[str]:
    jd = tools[0]
    base_cold = statistics.median(jd.cold) if cold else None
    base_warm = statistics.median(jd.warm)
    lines = [
        "| tool | cold s (median) | warm s (median) | cold / jdupes | warm / jdupes "
        "| same groups |",
        "|---|---|---|---|---|---|",
    ]
    for tool in [*tools, rescan]:
        c = statistics.median(tool.cold) if tool.cold else None
        w = statistics.median(tool.warm)
        lines.append(
            f"| {tool.name} | {f'{c:.2f}' if c is not None else 'n/a'} | {w:.2f} | "
            f"{f'{c / base_cold:.2f}×' if c is not None and base_cold else 'n/a'} | "
            f"{w / base_warm:.2f}× | {'yes' if same[tool.name] else 'NO'} |"
        )
    return lines


def record(
    lines: list[str],
    summary: dict[str, int],
    args: argparse.Namespace,
    check: list[str],
    cold: bool,
) -> None:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    block = [
        f"### {when} — commit {commit}",
        "",
        f"`bench/dupes.sh --runs {args.runs}` on {platform.node()} ({os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f} at the end). Tree: {summary['files']:,} files, "
        f"{summary['bytes'] / 2**30:.2f} GiB, {summary['copies']:,} copies "
        f"(10 %), {summary['prefix_pairs']} same-size pairs equal in the first 4 KiB only. "
        f"Medians of {args.runs} runs, tools interleaved; cold = page cache dropped before "
        f"each run{'' if cold else ' (not measured: --warm-only, or not root)'}.",
        "",
        f"Ours: `{' '.join(Path(c).name if i == 0 else c for i, c in enumerate(check))}` "
        "(first scan with `--clear-cache`; the re-scan reuses the cache). Peers: "
        "`jdupes -r -q`, `fdupes -r -n -q`, `rmlint -T df -o json:…`.",
        "",
        *lines,
        "",
    ]
    append_to_section(SECTION, block)
    print(f"recorded in {RESULTS}")


if __name__ == "__main__":
    sys.exit(main())
