"""Does listing a big bucket in the Bucket tab freeze the window? (garbage collection)

Offscreen, against moto's S3 server in its own process, 5,000 objects under the
``mba`` scope. Each run is a fresh process with the real main window (and so its
`GcGovernor`): the Bucket tab is shown and every page is asked for as soon as the
previous one is shown (Load more, at once). A 10 ms heartbeat `QTimer` records the
longest gap while listing (until every row is shown and the HEADs of the rows on
screen are back), then for `--settle` seconds more (the governor's idle collection
falls there). ``--source DIR`` runs another checkout of the app (before/after):

    .venv/bin/python bench/bucket_listing_gc.py --runs 3 --source /tmp/before --source .

Runs are interleaved: run 1 of every source, then run 2 of every source, …
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gui_responsiveness import start_moto  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
BUCKET = "hma-mba-bucket"


def one_run(args: argparse.Namespace) -> dict[str, object]:
    import gc

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.logging_setup import setup_logging
    from hma_gui.ui.app import create_application
    from hma_gui.ui.main_window import MainWindow
    from hma_gui.ui.session import Session

    full: list[float] = []
    started = [0.0]

    def watch(phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            full.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(watch)
    app = create_application([sys.argv[0]])
    window = MainWindow(Session(load_settings()), setup_logging(console=False))
    window.resize(1280, 820)
    window.show()
    window.start()
    opened = time.perf_counter()
    loop = QEventLoop()

    def wait(condition: object, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
            loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        if not condition():  # type: ignore[operator]
            raise SystemExit(f"timed out: {condition}")

    wait(lambda: window.session.is_ready, 60)
    # The governor checks every IDLE_CHECK_MS (5 s) from `start()`: begin the listing
    # `--start-at` seconds after it, so that one check falls while it runs.
    wait(lambda: time.perf_counter() - opened > args.start_at, args.start_at + 1)
    tab = window.bucket_tab
    gaps: list[float] = []
    last = [time.perf_counter()]
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(10)

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    heartbeat.timeout.connect(beat)
    tab.listed.connect(lambda _page: tab.fetch_more())  # Load more, at once
    full_before = len(full)
    began = time.perf_counter()
    last[0] = began
    heartbeat.start()
    window.tabs.setCurrentWidget(tab)  # shown: the first page is listed

    def done() -> bool:
        rows = tab.model.rowCount()
        return rows == args.objects and tab._complete and tab.model.missing_details(0, 5) == []

    wait(done, 300)
    first, last_row = tab.visible_rows()
    wait(lambda: all(tab.model.row(r).head is not None for r in range(first, last_row + 1)), 60)
    listing_s = time.perf_counter() - began
    listing_gaps, full_listing = list(gaps), len(full) - full_before
    gaps.clear()
    print(f"listing {listing_s:.2f} s", file=sys.stderr)
    wait(lambda: time.perf_counter() - began > listing_s + args.settle, args.settle + 5)
    heartbeat.stop()
    result = {
        "listing_s": round(listing_s, 2),
        "max_stall_ms": round(max(listing_gaps) - 10, 1),
        "p99_gap_ms": round(statistics.quantiles(listing_gaps, n=100)[98], 1),
        "full_gcs_listing": full_listing,
        "settle_max_stall_ms": round(max(gaps) - 10, 1) if gaps else 0.0,
        "full_gcs_settle": len(full) - full_before - full_listing,
        "longest_full_gc_ms": round(max(full), 1) if full else 0.0,
        "governor_deferred": window.gc_governor.deferred,
        "governor_full_gcs": window.gc_governor.full_collections,
    }
    window.quit()
    QApplication.processEvents()
    del app
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--objects", type=int, default=5000)
    parser.add_argument("--settle", type=float, default=7.0)
    parser.add_argument("--start-at", type=float, default=4.0)
    parser.add_argument("--source", action="append", default=[])
    parser.add_argument("--one-run", action="store_true")
    args = parser.parse_args()
    if args.one_run:
        print(json.dumps(one_run(args)))
        return 0
    sources = [Path(s).resolve() for s in args.source] or [ROOT]
    moto, endpoint = start_moto()
    env = dict(
        os.environ,
        HMA_S3_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto accepts anything
        AWS_DEFAULT_REGION="us-east-1",
        QT_QPA_PLATFORM="offscreen",
    )
    results: dict[Path, list[dict[str, object]]] = {s: [] for s in sources}
    try:
        import boto3

        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench",  # noqa: S106
        )  # fmt: skip
        for bucket in (BUCKET, "hma-policy-bucket"):
            client.create_bucket(Bucket=bucket)
        keys = [f"mba/csv/batch{n // 250:04d}/member{n:06d}.csv" for n in range(args.objects)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: client.put_object(Bucket=BUCKET, Key=k, Body=b"x"), keys))
        for run in range(args.runs):
            for source in sources:
                home = Path(tempfile.mkdtemp(prefix="hma-bucket-bench-"))
                run_env = dict(
                    env,
                    HMA_CONFIG_DIR=str(home / "config"),
                    HMA_DATA_DIR=str(home / "data"),
                    PYTHONPATH=f"{source}{os.pathsep}{Path(__file__).parent}",
                )
                command = [
                    sys.executable, str(Path(__file__).resolve()), "--one-run",
                    "--objects", str(args.objects), "--settle", str(args.settle),
                    "--start-at", str(args.start_at),
                ]  # fmt: skip
                done = subprocess.run(
                    command, env=run_env, capture_output=True, text=True, timeout=900,
                    cwd=home,
                )  # fmt: skip
                shutil.rmtree(home, ignore_errors=True)
                if done.returncode != 0:
                    print(done.stderr[-4000:], file=sys.stderr)
                    return 1
                result = json.loads(done.stdout.strip().splitlines()[-1])
                results[source].append(result)
                print(f"run {run + 1} {source}: {json.dumps(result)}", flush=True)
    finally:
        moto.terminate()
        moto.wait(10)
    for source, runs in results.items():
        print(f"{source}: max stall while listing {[r['max_stall_ms'] for r in runs]} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
