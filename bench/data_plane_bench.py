"""Data-plane figures (issue 16): the bandwidth limit's pace and a killed large upload's resume.

* **bwlimit**: `HMA_BWLIMIT=5MiB hma-ingest upload` of one 50 MiB file (streamed PUT);
  wall time per run (target: 10 s ± 10 %).
* **resume**: one 300 MiB file (multipart, 8 MiB parts) through a counting proxy
  (tests/fault_proxy.py); the upload is SIGKILLed once 60 % of its bytes passed the
  proxy, then `hma-ingest resume` finishes it. Reported: the share of the file sent
  again by the resume, and the resume's wall time against a full upload's.

Both against one local moto server. Usage: `.venv/bin/python bench/data_plane_bench.py
--runs 3 [--no-write]`; the entry goes under "## Data plane" in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.results_file import append_to_section  # noqa: E402
from bench.upload_bench import Moto, base_env  # noqa: E402
from tests.fault_proxy import FaultProxy  # noqa: E402

MiB = 1024 * 1024
HMA = [str(REPO / ".venv" / "bin" / "hma-ingest")]


def _env(work: Path, endpoint: str, bucket: str, **extra: str) -> dict[str, str]:
    env = base_env(work)
    env.update(
        HMA_S3_ENDPOINT_URL=endpoint,
        HMA_CONFIG_DIR=str(work / "config"),
        HMA_DATA_DIR=str(work / "data"),
        HMA_MBA_BUCKET=bucket,
        HMA_MBA_PREFIX="up/",
        **extra,
    )
    return env


def _file(folder: Path, name: str, size: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with open(path, "wb") as handle:
        for _ in range(size // MiB):
            handle.write(os.urandom(MiB))
    return path


def bwlimit_run(moto: Moto, work: Path, round_: int) -> tuple[float, float]:
    """(the upload run's seconds as hma-ingest reports them, the command's wall seconds)."""
    bucket = f"bw-{round_}"
    moto.client.create_bucket(Bucket=bucket)
    folder = work / "bw"
    if not folder.exists():
        _file(folder, "fifty.bin", 50 * MiB)
    env = _env(work / f"bw-{round_}", moto.endpoint, bucket, HMA_BWLIMIT="5MiB")
    started = time.monotonic()
    done = subprocess.run(
        [*HMA, "upload", "--scope", "mba", "--no-check-s3", "--json", str(folder)],
        env=env, check=True, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    return float(json.loads(done.stdout)["seconds"]), time.monotonic() - started


def resume_run(moto: Moto, work: Path, round_: int) -> tuple[float, float, float]:
    """(share re-sent, resume seconds, full upload seconds)."""
    size = 300 * MiB
    folder = work / "big"
    if not folder.exists():
        _file(folder, "three-hundred.bin", size)
    bucket = f"resume-{round_}"
    moto.client.create_bucket(Bucket=bucket)
    proxy = FaultProxy(moto.endpoint)
    try:
        env = _env(work / f"resume-{round_}", proxy.endpoint, bucket)
        upload = [*HMA, "upload", "--scope", "mba", "--no-check-s3", str(folder)]
        process = subprocess.Popen(upload, env=env, stdout=subprocess.DEVNULL)
        while proxy.put_bytes < 0.6 * size:
            if process.poll() is not None:
                raise RuntimeError("the upload ended before it could be killed")
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        proxy.wait_idle()
        before = proxy.put_bytes
        started = time.monotonic()
        subprocess.run([*HMA, "resume"], env=env, check=True, stdout=subprocess.DEVNULL)
        resume_seconds = time.monotonic() - started
        resent = (proxy.put_bytes - before) / size
        full_env = _env(work / f"full-{round_}", proxy.endpoint, f"{bucket}-full")
        moto.client.create_bucket(Bucket=f"{bucket}-full")
        started = time.monotonic()
        subprocess.run(upload, env=full_env, check=True, stdout=subprocess.DEVNULL)
        full_seconds = time.monotonic() - started
    finally:
        proxy.close()
    return resent, resume_seconds, full_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    out = REPO / "bench" / "out" / "data-plane"
    out.mkdir(parents=True, exist_ok=True)
    moto = Moto(out / "moto.log")
    bw: list[tuple[float, float]] = []
    resumes: list[tuple[float, float, float]] = []
    load_before = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(dir=out) as tmp:
            work = Path(tmp)
            for round_ in range(args.runs):
                bw.append(bwlimit_run(moto, work, round_))
                resumes.append(resume_run(moto, work, round_))
                print(f"round {round_ + 1}: bwlimit {bw[-1]}; resume {resumes[-1]}", flush=True)
                moto.reset()
    finally:
        moto.stop()
    when = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    shares = [r[0] for r in resumes]
    lines = [
        f"### {when} — `.venv/bin/python bench/data_plane_bench.py --runs {args.runs}`",
        "",
        f"Load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after.",
        "",
        "| measure | median | runs | target |",
        "|---|---|---|---|",
        f"| 50 MiB upload at `HMA_BWLIMIT=5MiB`: upload run s (hma-ingest's `seconds`) | "
        f"{statistics.median(b[0] for b in bw):.2f} | {', '.join(f'{b[0]:.2f}' for b in bw)} "
        "| 10 s ± 10 % |",
        f"| the same, whole command wall s (start-up, planning included) | "
        f"{statistics.median(b[1] for b in bw):.2f} | {', '.join(f'{b[1]:.2f}' for b in bw)} | |",
        f"| 300 MiB killed at 60 % of its bytes: share sent again by `resume` | "
        f"{statistics.median(shares):.0%} | {', '.join(f'{s:.0%}' for s in shares)} | ≤ 45 % |",
        f"| resume wall s / full upload wall s | "
        f"{statistics.median(r[1] for r in resumes):.2f} / "
        f"{statistics.median(r[2] for r in resumes):.2f} | "
        f"{', '.join(f'{r[1]:.2f}/{r[2]:.2f}' for r in resumes)} | |",
    ]
    print("\n".join(lines))
    if not args.no_write:
        append_to_section("## Data plane", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
