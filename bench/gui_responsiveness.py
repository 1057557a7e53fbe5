"""Does the desktop app stay responsive? Drop a 50,000-file tree while uploads run.

Offscreen, against moto's S3 server in its own process. Each run is a fresh
process (one QApplication per process) with a fresh job store:

1. the main window is shown and a warm-up folder (1,000 files) is dropped, so
   uploads are running;
2. the big tree is dropped with real drag-and-drop events; a 10 ms heartbeat
   `QTimer` records every gap between its ticks until the table shows every job,
   and for `--upload-seconds` more of uploading;
3. the queue is paused and synthetic jobs are added (off the main thread) until
   the table holds 100,000 jobs: peak RSS, repaint time while scrolling, and the
   time of a click on a column header (sort) and on a state filter.

Targets: longest stall ≤ 50 ms, peak RSS ≤ 400 MB. The script prints the median
of `--runs` runs and, with ``--record``, appends them to bench/RESULTS.md.

    .venv/bin/python bench/gui_responsiveness.py --runs 3 --record

Diagnostics (environment variables of a run): BENCH_PROFILE=1 times the main
thread's slots, BENCH_WATCHDOG=1 prints each late heartbeat with the main
thread's CPU time in it (≈ 0: it was waiting for the GIL or a CPU, not working)
and the feed's slow reads, BENCH_SWITCH sets `sys.setswitchinterval`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import date
from pathlib import Path

from results_file import RESULTS, append_to_section  # bench/ is the script's folder

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
STALL_TARGET_MS = 50.0
RSS_TARGET_MB = 400.0


# --------------------------------------------------------------------- the tree


def make_tree(root: Path, files: int, per_folder: int = 250) -> Path:
    """`files` small CSVs below root/data/mba/csv/batchNNN (cached between runs)."""
    marker = root / f".complete-{files}"
    if marker.exists():
        return root / "data"
    shutil.rmtree(root, ignore_errors=True)
    for n in range(files):
        folder = root / "data" / "mba" / "csv" / f"batch{n // per_folder:04d}"
        if n % per_folder == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"member{n:06d}.csv").write_bytes(b"id,name\n%d,x\n" % n)
    marker.touch()
    return root / "data"


# --------------------------------------------------------------------- moto


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310
            return process, endpoint
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)


# --------------------------------------------------------------------- one run


def one_run(args: argparse.Namespace) -> dict[str, object]:
    """Runs inside a fresh process; environment prepared by `main`."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QEventLoop, QMimeData, QPointF, Qt, QTimer, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.jobs.store import JobState, NewJob
    from hma_gui.core.logging_setup import setup_logging
    from hma_gui.ui.app import create_application
    from hma_gui.ui.main_window import MainWindow
    from hma_gui.ui.queue.intake import BATCH_SIZE, YIELD_SECONDS
    from hma_gui.ui.queue.job_columns import Column
    from hma_gui.ui.session import Session

    if os.environ.get("BENCH_SWITCH"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))
    if os.environ.get("BENCH_GC"):
        _watch_gc()
    app = create_application([sys.argv[0]])
    memory = setup_logging(console=False)
    session = Session(load_settings(concurrency=args.concurrency))
    window = MainWindow(session, memory)
    window.resize(1280, 820)
    window.show()
    window.start()
    if os.environ.get("BENCH_PROFILE"):
        _instrument(window)

    gaps: list[float] = []
    last = [time.perf_counter()]
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(10)

    cpu_last = [time.thread_time()]

    def beat() -> None:
        now = time.perf_counter()
        cpu = time.thread_time()
        gap = (now - last[0]) * 1000
        gaps.append(gap)
        if os.environ.get("BENCH_WATCHDOG") and gap > 60:
            print(f"gap {gap:.0f} ms, main-thread CPU {(cpu - cpu_last[0]) * 1000:.0f} ms",
                  file=sys.stderr)  # fmt: skip
        last[0] = now
        cpu_last[0] = cpu

    heartbeat.timeout.connect(beat)
    heartbeat.timeout.connect(lambda: MEASURING.__setitem__(0, heartbeat.isActive()))
    if os.environ.get("BENCH_WATCHDOG"):
        _watchdog(last)
        original = session.store.changed_page

        def timed_changed_page(*args):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            result = original(*args)
            took = (time.perf_counter() - t0) * 1000
            if took > 30:
                print(f"  feed read {len(result[0])} rows in {took:.0f} ms", file=sys.stderr)
            return result

        session.store.changed_page = timed_changed_page  # type: ignore[method-assign]

    def wait_until(condition, timeout: float = 600.0) -> None:  # type: ignore[no-untyped-def]
        """Run the app's event loop until `condition()` holds (checked every 20 ms)."""
        loop = QEventLoop()
        deadline = time.monotonic() + timeout
        check = QTimer()
        check.setInterval(20)

        def test() -> None:
            if condition() or time.monotonic() > deadline:
                loop.quit()

        check.timeout.connect(test)
        check.start()
        if not condition():
            loop.exec()
        check.stop()
        if not condition():
            raise TimeoutError("benchmark condition not reached")

    def drop(path: Path) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        point = QPointF(window.width() / 2, 300)
        copy, buttons = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
        mods = Qt.KeyboardModifier.NoModifier
        QApplication.sendEvent(window, QDragEnterEvent(point.toPoint(), copy, mime, buttons, mods))
        QApplication.sendEvent(window, QDragMoveEvent(point.toPoint(), copy, mime, buttons, mods))
        QApplication.sendEvent(window, QDropEvent(point, copy, mime, buttons, mods))

    wait_until(lambda: session.is_ready, 120)

    # ---- noise floor: the same heartbeat with the window idle (other processes still run)
    heartbeat.start()
    last[0] = time.perf_counter()
    idle_until = time.perf_counter() + args.idle_seconds
    wait_until(lambda: time.perf_counter() >= idle_until)
    heartbeat.stop()
    MEASURING[0] = False
    idle_gaps = list(gaps)
    gaps.clear()

    drop(Path(args.warmup))
    wait_until(lambda: session.store.counters().done >= 100)

    # ---- the big drop, measured
    summaries: list[object] = []
    session.intake.finished.connect(summaries.append)
    rows_before = window.model.rowCount()
    heartbeat.start()
    last[0] = time.perf_counter()
    started = time.perf_counter()
    drop(Path(args.tree))
    wait_until(lambda: summaries and window.model.rowCount() >= rows_before + args.files)
    scan_seconds = time.perf_counter() - started
    snapshot = window.last_snapshot
    done_at_scan = snapshot.counters.done if snapshot else 0
    upload_until = time.perf_counter() + args.upload_seconds
    wait_until(lambda: time.perf_counter() >= upload_until)
    heartbeat.stop()
    MEASURING[0] = False
    drop_gaps = list(gaps)
    uploaded = session.store.counters().done - done_at_scan

    # ---- 100,000 jobs in the table
    session.queue.pause()
    missing = max(0, args.model_jobs - session.store.counters().total)

    def add_synthetic() -> None:
        batch = session.store.new_batch("synthetic")
        chunk: list[NewJob] = []
        for n in range(missing):
            chunk.append(
                NewJob(
                    source=f"/synthetic/mba/csv/s{n:06d}.csv",
                    size=1000 + n,
                    scope="mba",
                    bucket="hma-mba-bucket",
                    key=f"mba/csv/s{n:06d}.csv",
                )
            )
            if len(chunk) == BATCH_SIZE:  # as a drop enqueues: batches, a pause between
                session.store.enqueue(chunk, batch)
                chunk = []
                time.sleep(YIELD_SECONDS)
        session.store.enqueue(chunk, batch)

    gaps.clear()
    heartbeat.start()
    last[0] = time.perf_counter()
    filler = threading.Thread(target=add_synthetic)
    filler.start()
    wait_until(lambda: not filler.is_alive() and window.model.rowCount() >= args.model_jobs)
    heartbeat.stop()
    MEASURING[0] = False
    fill_gaps = list(gaps)
    rows = window.model.rowCount()

    view = window.table.view
    scrollbar = view.verticalScrollBar()
    paints: list[float] = []
    rng = random.Random(7)
    for _ in range(60):
        scrollbar.setValue(rng.randint(0, scrollbar.maximum()))
        t0 = time.perf_counter()
        view.viewport().repaint()
        paints.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    view.sortByColumn(Column.SIZE, Qt.SortOrder.DescendingOrder)
    sort_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    window.table.proxy.set_states([JobState.QUEUED])
    filter_ms = (time.perf_counter() - t0) * 1000
    window.table.proxy.set_states([])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    window.close()
    app.quit()
    return {
        "files": args.files,
        "idle_max_stall_ms": round(max(idle_gaps) - 10, 1),
        "load_average": round(os.getloadavg()[0], 2),
        "scan_seconds": round(scan_seconds, 2),
        "uploaded_while_measuring": uploaded,
        "max_stall_ms": round(max(drop_gaps) - 10, 1),
        "p99_gap_ms": round(statistics.quantiles(drop_gaps, n=100)[98], 1),
        "ticks": len(drop_gaps),
        "fill_max_stall_ms": round(max(fill_gaps) - 10, 1),
        "rows_in_model": rows,
        "peak_rss_mb": round(rss_mb, 1),
        "scroll_repaint_max_ms": round(max(paints), 1),
        "scroll_repaint_median_ms": round(statistics.median(paints), 1),
        "sort_100k_ms": round(sort_ms, 1),
        "filter_100k_ms": round(filter_ms, 1),
    }


SLOW: dict[str, list[float]] = {}
MEASURING = [False]


def _watch_gc() -> None:
    """BENCH_GC=1: print every garbage collection that holds the GIL for more than 10 ms."""
    import gc

    started: list[float] = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        took = (time.perf_counter() - started[0]) * 1000
        if took > 10:
            print(f"gc gen {info['generation']}: {took:.0f} ms, {info['collected']} collected",
                  file=sys.stderr)  # fmt: skip

    gc.callbacks.append(callback)


def _watchdog(last: list[float]) -> None:
    """BENCH_WATCHDOG=1: print where the main thread is whenever the heartbeat is late."""
    import atexit
    import collections
    import traceback

    main_id = threading.main_thread().ident
    seen: collections.Counter[str] = collections.Counter()

    def watch() -> None:
        while True:
            time.sleep(0.005)
            if MEASURING[0] and time.perf_counter() - last[0] > 0.06:
                frame = sys._current_frames().get(main_id)  # type: ignore[arg-type]
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-4:]
                    seen[" < ".join(f"{f.name}:{f.lineno}" for f in reversed(stack))] += 1

    threading.Thread(target=watch, daemon=True).start()
    atexit.register(lambda: [print(n, where, file=sys.stderr) for where, n in seen.most_common(12)])


def _instrument(window) -> None:  # type: ignore[no-untyped-def]
    """BENCH_PROFILE=1: time the main thread's own work per slot (printed to stderr)."""
    import atexit

    def timed(name, fn):  # type: ignore[no-untyped-def]
        def wrapper(*a):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return fn(*a)
            finally:
                SLOW.setdefault(name, []).append((time.perf_counter() - t0) * 1000)

        return wrapper

    window.feed.snapshot.disconnect(window._on_snapshot)
    window.feed.snapshot.connect(timed("snapshot", window._on_snapshot))
    model = window.model
    model.apply_changes = timed("apply_changes", model.apply_changes)
    model.set_inflight = timed("set_inflight", model.set_inflight)
    window.counters.show_snapshot = timed("counters", window.counters.show_snapshot)
    window.table.show_counts = timed("chips", window.table.show_counts)

    def count(snapshot):  # type: ignore[no-untyped-def]
        SLOW.setdefault("changed_rows", []).append(len(snapshot.changed))

    window.feed.snapshot.connect(count)
    window.log_panel._timer.timeout.disconnect(window.log_panel.poll)
    window.log_panel._timer.timeout.connect(timed("log", window.log_panel.poll))

    def report() -> None:
        for name, values in SLOW.items():
            values.sort()
            p90 = values[int(len(values) * 0.9)]
            print(f"{name}: n={len(values)} max={values[-1]:.1f} p90={p90:.1f}", file=sys.stderr)

    atexit.register(report)


# --------------------------------------------------------------------- driver


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--model-jobs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--upload-seconds", type=float, default=15.0)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="scheduling priority of the benchmark, moto and the app (-10 as root: less noise "
        "from other processes on a shared machine)",
    )
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tree", help=argparse.SUPPRESS)
    parser.add_argument("--warmup", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        print(json.dumps(one_run(args)))
        return 0

    if args.nice:
        os.nice(args.nice)  # inherited by moto's server and every run
    OUT.mkdir(parents=True, exist_ok=True)
    tree = make_tree(OUT / f"gui-tree-{args.files}", args.files)
    warmup = make_tree(OUT / "gui-warmup-1000", 1000)
    moto, endpoint = start_moto()
    results = []
    try:
        for run in range(args.runs):
            home = Path(tempfile.mkdtemp(prefix="hma-gui-bench-"))
            reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
            urllib.request.urlopen(reset, timeout=30).close()  # noqa: S310 - loopback moto
            env = dict(
                os.environ,
                HMA_CONFIG_DIR=str(home / "config"),
                HMA_DATA_DIR=str(home / "data"),
                HMA_S3_ENDPOINT_URL=endpoint,
                AWS_ACCESS_KEY_ID="bench",
                AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto accepts anything
                AWS_DEFAULT_REGION="us-east-1",
                QT_QPA_PLATFORM="offscreen",
                PYTHONPATH=str(ROOT),
            )
            import boto3

            client = boto3.client(
                "s3", endpoint_url=endpoint, region_name="us-east-1",
                aws_access_key_id="bench", aws_secret_access_key="bench",  # noqa: S106
            )  # fmt: skip
            for bucket in ("hma-mba-bucket", "hma-policy-bucket"):
                client.create_bucket(Bucket=bucket)
            command = [
                sys.executable, __file__, "--one-run", "--tree", str(tree), "--warmup",
                str(warmup), "--files", str(args.files), "--model-jobs", str(args.model_jobs),
                "--concurrency", str(args.concurrency), "--upload-seconds",
                str(args.upload_seconds), "--idle-seconds", str(args.idle_seconds),
            ]  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800)
            shutil.rmtree(home, ignore_errors=True)
            if any(os.environ.get(n) for n in ("BENCH_WATCHDOG", "BENCH_PROFILE", "BENCH_GC")):
                print(done.stderr, file=sys.stderr)  # the diagnostics asked for
            if done.returncode != 0:
                print(done.stderr[-4000:], file=sys.stderr)
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results.append(result)
            print(f"run {run + 1}: {json.dumps(result)}")
    finally:
        moto.terminate()
        moto.wait(10)

    summary = {key: statistics.median(r[key] for r in results) for key in results[0]}
    worst_stall = max(r["max_stall_ms"] for r in results)
    worst_rss = max(r["peak_rss_mb"] for r in results)
    print(f"median of {len(results)} runs: {json.dumps(summary)}")
    print(
        f"worst max stall {worst_stall} ms (target ≤ {STALL_TARGET_MS:.0f}), "
        f"worst peak RSS {worst_rss} MB (target ≤ {RSS_TARGET_MB:.0f})"
    )
    if args.record:
        record(args, results, summary, worst_stall, worst_rss)
    return 0


ROWS = (
    # key, label, unit, target
    (
        "max_stall_ms",
        "longest main-thread stall: {files:,}-file drop scanned, queued and shown, uploads running",
        "ms",
        f"≤ {STALL_TARGET_MS:.0f} ms",
    ),
    ("p99_gap_ms", "99th percentile gap of the 10 ms heartbeat (same window)", "ms", ""),
    (
        "idle_max_stall_ms",
        "noise floor: longest stall with the window idle, same machine",
        "ms",
        "",
    ),
    ("scan_seconds", "drop → every job in the table", "s", ""),
    ("uploaded_while_measuring", "uploads finished during the measured window", "", ""),
    ("fill_max_stall_ms", "longest stall while the table grows to {model_jobs:,} jobs", "ms", ""),
    (
        "peak_rss_mb",
        "peak RSS with {model_jobs:,} jobs in the model",
        "MB",
        f"≤ {RSS_TARGET_MB:.0f} MB",
    ),
    ("scroll_repaint_max_ms", "table repaint at a random scroll position (max of 60)", "ms", ""),
    ("sort_100k_ms", "sort {model_jobs:,} rows (header click)", "ms", ""),
    ("filter_100k_ms", "filter {model_jobs:,} rows by state (chip click)", "ms", ""),
    ("load_average", "machine load average (1 min) at the end of the run", "", ""),
)


def record(
    args: argparse.Namespace,
    results: list[dict[str, float]],
    summary: dict[str, float],
    worst_stall: float,
    worst_rss: float,
) -> None:
    nice = f" --nice {args.nice}" if args.nice else ""
    command = (
        f".venv/bin/python bench/gui_responsiveness.py --runs {args.runs} --files {args.files} "
        f"--concurrency {args.concurrency}{nice} --record"
    )
    lines = [
        "",
        f"### {date.today().isoformat()} — `{command}`",
        "",
        f"Offscreen window, moto's server on 127.0.0.1, {os.cpu_count()} CPUs shared with other "
        f"work{' (run at nice ' + str(args.nice) + ')' if args.nice else ''}; "
        f"{args.concurrency} upload threads; median and worst of {len(results)} runs, "
        "each a fresh process and job store.",
        "",
        "| measure | median | worst | target |",
        "|---|---|---|---|",
    ]
    names = {"files": args.files, "model_jobs": args.model_jobs}
    for key, label, unit, target in ROWS:
        worst = max(r[key] for r in results)
        lines.append(
            f"| {label.format(**names)} | {summary[key]:g} {unit} | {worst:g} {unit} | {target} |"
        )
    append_to_section("## Desktop app", lines)
    print(f"recorded in {RESULTS}")


if __name__ == "__main__":
    raise SystemExit(main())
