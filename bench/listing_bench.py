"""Listing a big prefix through a far server: the duplicate check's listing against peers.

Before it uploads or checks anything, hma-ingest lists the scope's prefix once
(`core/s3/inventory.py`). On real S3 every ListObjectsV2 call waits 50–300 ms,
and a chain of 1,000-key pages waits for each in turn; `core/s3/parallel_listing.py`
lists a prefix's folders at once. This bench lists one prefix of `--objects`
objects (``mba/csv/<year>/<month>/…``, ``mba/pdf/…``, a few at ``mba/``) with:

* ``hma-ingest``: `S3Inventory.listing` as ``check-duplicates --check-s3`` and
  ``upload`` call it (the command line's client, `--page-size` keys a call; below
  1,000 through botocore, as obstore asks for 1,000 whatever it hands out), 8 at once;
* ``hma-ingest-chain``: the same one request at a time (one chain of pages, as before);
* ``rclone lsf -R`` (directory by directory, 8 checkers), ``rclone lsf -R
  --fast-list`` (one recursive listing), ``aws s3 ls --recursive``, all with
  `--page-size` keys a call; ``s5cmd ls 's3://…/mba/*'`` (1,000 a call, always).

Each tool talks to a local moto server through a proxy (tests/fault_proxy.py) that
holds every request `--latency` seconds (default 0.05), as a far server would;
the proxy counts the requests. moto answers one request at a time and its CPU
per call grows with the bucket (~0.2 s at 10,000 objects), so with 1,000-key
pages moto, not the client, sets the pace. ``--objects 2000 --page-size 100``
is the same tree scaled down by ten, where moto's share is small and the
latency counts, as on S3. Wall-time medians over `--runs` rounds in rotating
order; ratios to ``hma-ingest-chain``.

Usage: `.venv/bin/python bench/listing_bench.py --runs 3 [--objects 10000]
[--page-size 1000] [--latency 0.05] [--no-write]`; the entry goes under
"## Listing" in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.results_file import append_to_section  # noqa: E402
from bench.upload_bench import (  # noqa: E402
    VENV_BIN,
    Moto,
    base_env,
    rclone_env,
    s5cmd_binary,
)
from tests.fault_proxy import FaultProxy  # noqa: E402

BUCKET = "listing"
PREFIX = "mba/"
TOOLS = ("hma-ingest", "hma-ingest-chain", "s5cmd", "rclone", "rclone-fast-list", "awscli")
OURS = """
import sys
from hma_gui.core.config.settings import load_settings
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.inventory import S3Inventory
from hma_gui.core.s3.lazy_client import LazyS3Client

settings = load_settings()
client = LazyS3Client.for_settings(settings, lambda: make_s3_client(settings))
page_size, workers, bucket, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
listing = S3Inventory(client, page_size=page_size, workers=workers).listing(bucket, prefix)
print(len(listing))
"""


def tree(objects: int) -> list[str]:
    """Keys under ``mba/``: two years of monthly csv folders (uneven), pdfs, a few loose files."""
    keys = [f"{PREFIX}readme-{n}.txt" for n in range(5)]
    pdfs = objects // 10
    keys += [f"{PREFIX}pdf/{n:06d}.pdf" for n in range(pdfs)]
    months = [(year, month) for year in (2024, 2025) for month in range(1, 13)]
    weights = [1 + (i % 5) for i in range(len(months))]  # uneven: 1–5 shares a month
    left = objects - len(keys)
    for (year, month), weight in zip(months, weights, strict=True):
        count = left * weight // sum(weights)
        keys += [f"{PREFIX}csv/{year}/{month:02d}/m{n:06d}.csv" for n in range(count)]
    return keys


def populate(moto: Moto, keys: list[str]) -> None:
    moto.client.create_bucket(Bucket=BUCKET)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: moto.client.put_object(Bucket=BUCKET, Key=key, Body=b"x"), keys))


def command(
    tool: str, endpoint: str, work: Path, page_size: int
) -> tuple[list[str], dict[str, str]]:
    env = base_env(work)
    if tool.startswith("hma-ingest"):
        env.update(
            HMA_S3_ENDPOINT_URL=endpoint,
            HMA_CONFIG_DIR=str(work / "hma-config"),
            HMA_DATA_DIR=str(work / "hma-data"),
        )
        if page_size != 1000:  # obstore asks for 1,000 keys a call whatever the chunk
            env["HMA_TRANSFER"] = "botocore"
        workers = "1" if tool == "hma-ingest-chain" else "8"
        return [sys.executable, "-c", OURS, str(page_size), workers, BUCKET, PREFIX], env
    if tool == "s5cmd":
        return [s5cmd_binary(), "--endpoint-url", endpoint, "ls", f"s3://{BUCKET}/{PREFIX}*"], env
    if tool.startswith("rclone"):
        env.update(rclone_env(work, endpoint))
        fast = ["--fast-list"] if tool == "rclone-fast-list" else []
        return ["rclone", "lsf", "-R", "--s3-provider", "Other", "--s3-list-chunk",
                str(page_size), *fast, f"bench:{BUCKET}/{PREFIX}"], env  # fmt: skip
    if tool == "awscli":
        aws = str(VENV_BIN / "aws")
        return [aws, "--endpoint-url", endpoint, "s3", "ls", "--recursive", "--page-size",
                str(page_size), f"s3://{BUCKET}/{PREFIX}"], env  # fmt: skip
    raise ValueError(tool)


def one(tool: str, proxy: FaultProxy, work: Path, page_size: int) -> tuple[float, int, str]:
    """(wall seconds, requests through the proxy, last line printed) of one listing."""
    work.mkdir(parents=True, exist_ok=True)
    argv, env = command(tool, proxy.endpoint, work, page_size)
    before = sum(proxy.requests.values())
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{tool} failed ({done.returncode}): {done.stderr[-2000:]}")
    lines = done.stdout.splitlines()
    return wall, sum(proxy.requests.values()) - before, lines[-1] if lines else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    tools = args.tools.split(",")
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="hma-listing-") as tmp:
        work = Path(tmp)
        (work / "rclone.conf").touch()
        moto = Moto(work / "moto.log")
        try:
            keys = tree(args.objects)
            started = time.monotonic()
            populate(moto, keys)
            print(f"{len(keys)} objects put in {time.monotonic() - started:.0f} s", flush=True)
            proxy = FaultProxy(moto.endpoint)
            proxy.latency = args.latency
            walls: dict[str, list[float]] = {tool: [] for tool in tools}
            calls: dict[str, int] = {}
            for round_ in range(args.runs):
                order = tools[round_ % len(tools) :] + tools[: round_ % len(tools)]
                for tool in order:
                    wall, requests, last = one(
                        tool, proxy, work / f"{tool}-{round_}", args.page_size
                    )
                    if tool.startswith("hma-ingest") and last != str(len(keys)):
                        raise SystemExit(f"{tool} listed {last} objects, not {len(keys)}")
                    walls[tool].append(wall)
                    calls[tool] = requests
                    print(
                        f"round {round_ + 1} {tool}: {wall:.2f} s, {requests} requests", flush=True
                    )
            proxy.close()
        finally:
            moto.stop()
    med = {tool: statistics.median(values) for tool, values in walls.items()}
    chain = med.get("hma-ingest-chain")
    lines = [
        f"### {stamp} — `.venv/bin/python bench/listing_bench.py --runs {args.runs} "
        f"--objects {args.objects} --page-size {args.page_size} --latency {args.latency}`",
        "",
        f"{len(keys)} objects under `{PREFIX}` (24 month folders of uneven size, pdf/, loose "
        f"files), {args.page_size} keys a call (s5cmd: 1,000); every request held "
        f"{args.latency * 1000:.0f} ms by the proxy; "
        f"load average {os.getloadavg()[0]:.2f} after.",
        "",
        "| tool | wall s (median) | × hma-ingest-chain | requests | runs |",
        "|---|---|---|---|---|",
    ]
    for tool in tools:
        ratio = f"{med[tool] / chain:.2f}" if chain else "–"
        lines.append(f"| {tool} | {med[tool]:.2f} | {ratio} | {calls[tool]} | {len(walls[tool])} |")
    print("\n".join(lines))
    if not args.no_write:
        append_to_section("## Listing", lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
