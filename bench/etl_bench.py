"""ETL benchmark: our pipeline from moto's S3 vs plain LOAD DATA LOCAL INFILE, same MariaDB.

    bench/etl.sh                         # 1,000,000 rows, 3 runs each, prints a table
    python bench/etl_bench.py run --rows 200000 --runs 1
    python bench/etl_bench.py run --strategies staging,executemany   # the sink choice

What is measured, in one process tree against one throwaway MariaDB:

* ``etl``: ``run_etl`` loading a generated ``MemberData.csv`` (valid rows plus
  ~1 % bad ones) from moto's S3 over HTTP into ``members``: streaming,
  decoding, full validation, foreign keys against ``plans``, rejects report,
  atomic upsert, audit. Each run starts from an empty ``members`` table and is
  a child process, so its peak RSS is its own (``wait4``).
* ``load data``: the same file, from local disk, with one plain
  ``LOAD DATA LOCAL INFILE`` into a bare table (the same columns as
  ``VARCHAR(255)``, no keys, no checks) — the floor of what MariaDB can ingest.

Reported: rows/s (median of the runs), the ratio etl / load data, peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hma_gui.core.s3.sandbox import Sandbox  # noqa: E402
from tests.mariadb_server import MariaDbServer  # noqa: E402

OUT = REPO / "bench" / "out"
BUCKET = "hma-mba-bucket"
HEADER = [
    "MemberID",
    "FirstName",
    "LastName",
    "DOB",
    "Gender",
    "PlanID",
    "EffectiveDate",
    "TerminationDate",
    "Zip",
    "Email",
]
FIRST = ("James", "Mary", "Robert", "Patricia", "John", "Linda", "Zoë", "José", "Renée")
LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "O'Brien", "Müller")


def plan_ids() -> list[str]:
    path = REPO / "resources" / "sample_data" / "mba" / "csv" / "plan_details.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        return [row["plan_id"] for row in csv.DictReader(handle)]


def generate(path: Path, rows: int, seed: int = 7) -> int:
    """A member export: valid rows in export spellings, ~1 % bad rows; the bad count."""
    rng = random.Random(seed)
    plans = plan_ids()
    bad = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for n in range(rows):
            dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 80))
            year = rng.choice((2023, 2024, 2025))
            row = [
                f"M{n:09d}",
                rng.choice(FIRST),
                rng.choice(LAST) if rng.random() > 0.01 else "Smith, Jr.",
                dob.strftime("%m/%d/%Y") if n % 2 else dob.isoformat(),
                rng.choice(("M", "F", "U", "X", "Male", "female", "")),
                rng.choice(plans),
                f"{year}-01-01" if n % 3 else f"{year}0101",
                "" if n % 9 else f"{year}-12-31",
                f"{rng.randrange(0, 100000):05d}"
                if n % 7
                else f"{rng.randrange(0, 100000):05d}-1234",
                f"user{n}@example.com" if n % 5 else "",
            ]
            if rng.random() < 0.01:
                bad += 1
                kind = rng.randrange(5)
                if kind == 0:
                    row[3] = "31/31/1990"
                elif kind == 1:
                    row[4] = "Q"
                elif kind == 2:
                    row[5] = "NO-SUCH-PLAN"
                elif kind == 3:
                    row[2] = ""
                else:
                    row[8] = "123"
            writer.writerow(row)
    return bad


# --------------------------------------------------------------------------- child: one ETL run


def child(args: argparse.Namespace) -> None:
    """Runs inside a fresh process: one ETL run of the members file, JSON on stdout."""
    from hma_gui.core.config.settings import load_settings
    from hma_gui.core.etl.pipeline import EtlOptions, run_etl

    settings = load_settings()
    database = None
    if args.strategy != "staging":
        from bench.etl_strategies import open_strategy

        database = open_strategy(args.strategy, settings)
    started = time.perf_counter()
    result = run_etl(
        settings, EtlOptions(force=True, tables=frozenset({"members"})), database=database
    )
    elapsed = time.perf_counter() - started
    if database is not None:
        database.close()
    item = result.files[0]
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "status": item.status.value,
                "read": item.rows_read,
                "loaded": item.rows_loaded,
                "rejected": item.rows_rejected,
                "error": item.error,
            }
        )
    )


def server_cpu(server: MariaDbServer) -> float:
    """CPU seconds (user + sys) mariadbd has used so far."""
    assert server.process is not None
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_child(strategy: str, env: dict[str, str], profile: Path | None) -> dict[str, object]:
    command = [sys.executable, str(Path(__file__)), "child", "--strategy", strategy]
    if profile is not None:
        spy = REPO / ".venv" / "bin" / "py-spy"
        command = [
            str(spy),
            "record",
            "--format",
            "raw",
            "--rate",
            "200",
            "-o",
            str(profile),
            "--",
            *command,
        ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"ETL child failed ({process.returncode}): {output}")
    payload: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    payload["max_rss_mb"] = usage.ru_maxrss / 1024
    payload["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    payload["load_avg"] = os.getloadavg()[0]
    return payload


# --------------------------------------------------------------------------- orchestration


def bench(args: argparse.Namespace) -> None:
    import boto3

    work = Path(tempfile.mkdtemp(prefix="hma-etl-bench-", dir=OUT if OUT.exists() else None))
    data = OUT / f"MemberData-{args.rows}.csv"
    if not data.exists():
        started = time.perf_counter()
        bad = generate(data, args.rows)
        took = time.perf_counter() - started
        print(f"generated {data} ({args.rows:,} rows, {bad:,} bad) in {took:.1f}s")
    server = MariaDbServer.create(work, buffer_pool=args.buffer_pool)
    sandbox = Sandbox(0)
    sandbox.start()
    try:
        database = server.create_database("hma_bench")
        env = dict(
            os.environ,
            HMA_DATA_DIR=str(work / "data"),
            HMA_CONFIG_DIR=str(work / "config"),
            HMA_DB_URL=server.url(database),
            HMA_DB_PASSWORD=server.password,
            HMA_S3_ENDPOINT_URL=sandbox.endpoint,
            HMA_MBA_BUCKET=BUCKET,
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 - moto accepts anything
            AWS_DEFAULT_REGION="us-east-1",
            PYTHONPATH=str(REPO),
        )
        s3 = boto3.client(
            "s3",
            endpoint_url=sandbox.endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",  # noqa: S106
        )
        s3.create_bucket(Bucket=BUCKET)
        plans = REPO / "resources" / "sample_data" / "mba" / "csv" / "plan_details.csv"
        s3.upload_file(str(plans), BUCKET, "mba/csv/plan_details.csv")
        s3.upload_file(str(data), BUCKET, "mba/csv/MemberData.csv")
        subprocess.run(
            [sys.executable, "-m", "hma_gui.cli", "etl", "--table", "plans"],
            env=env,
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        root = server.root(database)
        with root.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bare ("
                + ", ".join(f"c{i} VARCHAR(255)" for i in range(len(HEADER)))
                + ")"
            )
        results: dict[str, list[dict[str, object]]] = {s: [] for s in args.strategies.split(",")}
        loads: list[dict[str, object]] = []
        for index in range(args.runs):  # interleaved, so that load from others hits both alike
            for strategy, runs in results.items():
                with root.cursor() as cursor:
                    cursor.execute("TRUNCATE TABLE members")
                profile = OUT / f"etl-{strategy}.raw" if args.profile and index == 0 else None
                before = server_cpu(server)
                payload = run_child(strategy, env, profile)
                payload["server_cpu_seconds"] = server_cpu(server) - before
                runs.append(payload)
                print(f"etl[{strategy}] run {index + 1}: {json.dumps(payload)}", flush=True)
            before = server_cpu(server)
            loads.append(load_data(server, database, data, root))
            loads[-1]["server_cpu_seconds"] = server_cpu(server) - before
            print(f"load data run {index + 1}: {json.dumps(loads[-1])}", flush=True)
        report(args, results, loads)
    finally:
        sandbox.stop()
        server.stop()


def load_data(server: MariaDbServer, database: str, data: Path, root: Any) -> dict[str, object]:
    import pymysql

    with root.cursor() as cursor:
        cursor.execute("TRUNCATE TABLE bare")
    conn = pymysql.connect(
        host="127.0.0.1",
        port=server.port,
        user=server.user,
        password=server.password,
        database=database,
        local_infile=True,
    )
    started = time.perf_counter()
    with conn.cursor() as cursor:
        count = cursor.execute(
            "LOAD DATA LOCAL INFILE %s INTO TABLE bare CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' "
            "LINES TERMINATED BY '\\r\\n' IGNORE 1 LINES",
            (str(data),),
        )
    conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    return {"seconds": seconds, "rows": count, "load_avg": os.getloadavg()[0]}


def report(
    args: argparse.Namespace,
    results: dict[str, list[dict[str, object]]],
    loads: list[dict[str, object]],
) -> None:
    def median(runs: list[dict[str, object]], key: str) -> float:
        return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]

    load_seconds = median(loads, "seconds")
    load_rate = args.rows / load_seconds
    loads_seen = [float(r["load_avg"]) for rs in [loads, *results.values()] for r in rs]  # type: ignore[arg-type]
    lines = [
        f"{args.rows:,} rows, {args.runs} interleaved runs each, medians; MariaDB "
        f"{args.buffer_pool} buffer pool; {os.cpu_count()} CPUs; load average during the "
        f"runs {min(loads_seen):.1f}–{max(loads_seen):.1f}",
        "",
        "| what | seconds | rows/s | ratio to LOAD DATA | client CPU s | server CPU s | peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| plain LOAD DATA LOCAL INFILE, bare table | {load_seconds:.2f} | {load_rate:,.0f} | "
        f"1.00 | - | {median(loads, 'server_cpu_seconds'):.2f} | - |",
    ]
    for strategy, runs in results.items():
        seconds = median(runs, "seconds")
        rss = max(float(r["max_rss_mb"]) for r in runs)  # type: ignore[arg-type]
        first = runs[0]
        rate = args.rows / seconds
        lines.append(
            f"| hma ETL ({strategy}) from S3: {first['loaded']:,} loaded, "
            f"{first['rejected']:,} rejected | {seconds:.2f} | {rate:,.0f} | "
            f"{rate / load_rate:.2f} | {median(runs, 'cpu_seconds'):.2f} | "
            f"{median(runs, 'server_cpu_seconds'):.2f} | {rss:.0f} MB |"
        )
    all_runs = ", ".join(f"{float(r['seconds']):.2f}" for r in loads)  # type: ignore[arg-type]
    lines += ["", f"LOAD DATA runs (s): {all_runs}"]
    for strategy, runs in results.items():
        shown = ", ".join(f"{float(r['seconds']):.2f}" for r in runs)  # type: ignore[arg-type]
        lines.append(f"ETL ({strategy}) runs (s): {shown}")
    text = "\n".join(lines)
    print()
    print(text)
    (OUT / "etl-latest.md").write_text(text + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--rows", type=int, default=1_000_000)
    run.add_argument("--runs", type=int, default=3)
    run.add_argument("--strategies", default="staging")
    run.add_argument("--buffer-pool", default="256M")
    run.add_argument("--profile", action="store_true", help="py-spy the first ETL run")
    gen = sub.add_parser("generate")
    gen.add_argument("--rows", type=int, default=1_000_000)
    gen.add_argument("--out", type=Path, required=True)
    ch = sub.add_parser("child")
    ch.add_argument("--strategy", default="staging")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.command == "run":
        bench(args)
    elif args.command == "generate":
        print(f"{generate(args.out, args.rows)} bad rows")
    else:
        child(args)


if __name__ == "__main__":
    main()
