"""Event path vs load-all: rows/s of ``load-one`` through the Lambda handler, same data.

    python bench/etl_events_bench.py                 # 200,000 members + 200 plans, 3 runs
    python bench/etl_events_bench.py --rows 50000 --runs 1 --no-record

What is measured, against one throwaway MariaDB and moto's S3 + SQS:

* ``load-all``: ``run_etl`` (``hma-etl load-all``) of ``plan_details.csv`` and a
  generated ``MemberData.csv`` (bench/etl_bench.py's generator, ~1 % bad rows)
  into an empty database.
* ``events``: the same two objects PUT into a bucket whose notification targets an
  SQS queue (members first, so its event arrives before its parent's); from the
  first receive until the queue is empty, batches go to
  ``hma_gui.lambdas.s3_csv_ingest_handler.handler`` as Lambda's event source
  mapping hands them over (tests/etl/event_queue.py), into another empty database.
  Includes what the event path adds: receiving, HEAD and folder listing per event,
  the parents-first plan, table locks, deleting messages.

Reported: rows loaded per second of each (median of the runs) and the ratio
events / load-all. Results go to bench/RESULTS.md (section "ETL events").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.etl_bench import generate  # noqa: E402
from bench.results_file import append_to_section  # noqa: E402
from hma_gui.core.s3.sandbox import Sandbox  # noqa: E402
from tests.mariadb_server import MariaDbServer  # noqa: E402

OUT = REPO / "bench" / "out"
PLANS = REPO / "resources" / "sample_data" / "mba" / "csv" / "plan_details.csv"


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto accepts anything
    )


def point_at(server: MariaDbServer, endpoint: str, bucket: str, work: Path) -> None:
    database = server.create_database(f"hma_{bucket.replace('-', '_')}")
    os.environ.update(
        HMA_DATA_DIR=str(work / "data"),
        HMA_CONFIG_DIR=str(work / "config"),
        HMA_DB_URL=server.url(database),
        HMA_DB_PASSWORD=server.password,
        HMA_S3_ENDPOINT_URL=endpoint,
        HMA_MBA_BUCKET=bucket,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto accepts anything
        AWS_DEFAULT_REGION="us-east-1",
    )


def load_all(
    server: MariaDbServer, endpoint: str, data: Path, work: Path, n: int
) -> dict[str, Any]:
    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.etl.pipeline import run_etl

    bucket = f"all-{n}"
    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket=bucket)
    s3.upload_file(str(data), bucket, "mba/csv/MemberData.csv")
    s3.upload_file(str(PLANS), bucket, "mba/csv/plan_details.csv")
    point_at(server, endpoint, bucket, work)
    started = time.perf_counter()
    result = run_etl(load_settings())
    seconds = time.perf_counter() - started
    assert result.ok, [f.error for f in result.files]
    rows = sum(f.rows_loaded for f in result.files)
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds}


def events(server: MariaDbServer, endpoint: str, data: Path, work: Path, n: int) -> dict[str, Any]:
    from hma_gui.lambdas.s3_csv_ingest_handler import handler
    from tests.etl.event_queue import EventQueue

    bucket = f"events-{n}"
    s3 = s3_client(endpoint)
    s3.create_bucket(Bucket=bucket)
    queue = EventQueue.create(endpoint, s3, bucket)
    queue.receive()  # s3:TestEvent
    s3.upload_file(str(data), bucket, "mba/csv/MemberData.csv")  # the child's event first
    s3.upload_file(str(PLANS), bucket, "mba/csv/plan_details.csv")
    point_at(server, endpoint, bucket, work)
    started = time.perf_counter()
    failed = queue.drain(handler)
    seconds = time.perf_counter() - started
    assert failed == [], failed
    root = server.root(os.environ["HMA_DB_URL"].rsplit("/", 1)[-1])
    with root.cursor() as cursor:
        cursor.execute("SELECT SUM(rows_loaded) FROM etl_runs WHERE status = 'succeeded'")
        rows = int(cursor.fetchone()[0])
    root.close()
    return {"seconds": seconds, "rows": rows, "rows_per_s": rows / seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-record", action="store_true", help="do not add to RESULTS.md")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    data = OUT / f"MemberData-{args.rows}.csv"
    if not data.exists():
        generate(data, args.rows)
    work = Path(tempfile.mkdtemp(prefix="hma-events-bench-", dir=OUT))
    server = MariaDbServer.create(work)
    sandbox = Sandbox(0)
    sandbox.start()
    try:
        runs: dict[str, list[dict[str, Any]]] = {"load-all": [], "events": []}
        # Interleaved, so that load from others hits both alike, and in turns first: a later
        # run finds the server's caches warmer (runs speed up one after another).
        for n in range(args.runs):
            order = (load_all, events) if n % 2 == 0 else (events, load_all)
            for measure in order:
                name = "load-all" if measure is load_all else "events"
                runs[name].append(measure(server, sandbox.endpoint, data, work, n))
            print(f"run {n + 1}: {runs['load-all'][-1]} {runs['events'][-1]}", flush=True)
    finally:
        sandbox.stop()
        server.stop()
    median = {k: statistics.median(r["rows_per_s"] for r in v) for k, v in runs.items()}
    rows = runs["load-all"][0]["rows"]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    lines = [
        f"### {stamp} — `python bench/etl_events_bench.py --rows {args.rows} --runs {args.runs}`",
        "",
        f"{rows:,} rows loaded (200 plans + the members that pass), MariaDB and moto's S3/SQS "
        f"on loopback; load average (1 min) {load:.2f} at the end.",
        "",
        "| path | rows/s (median) | seconds (median) | ratio to load-all |",
        "|---|---|---|---|",
    ]
    for name, values in runs.items():
        seconds = statistics.median(r["seconds"] for r in values)
        ratio = median[name] / median["load-all"]
        lines.append(f"| {name} | {median[name]:,.0f} | {seconds:.2f} | {ratio:.2f} |")
    print("\n".join(lines))
    if not args.no_record:
        append_to_section("## ETL events", lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
