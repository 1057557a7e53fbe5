"""Crash harness: ``kill -9`` at random moments during ``upload``, ``resume`` and ``watch``.

    .venv/bin/python bench/crash_harness.py --runs 20 [--files 40] [--seed 1] [--record]

One moto server runs in its own process (``python -m moto.server``), behind a counting
proxy (tests/fault_proxy.py) that logs every request. Each run gets a fresh bucket,
fresh config/data directories and a fresh tree of files with unique contents (some
above the 5 MiB multipart threshold), and plays one scenario:

* ``upload``: ``hma-ingest upload`` killed at a random moment, then ``resume`` to the end;
* ``unchecked``: the same with ``upload --no-check-s3`` (no precondition on the writes);
* ``resume``: the same, but the first ``resume`` is killed too, then ``resume`` to the end;
* ``watch``: ``hma-ingest watch`` on a folder that files are being renamed into, killed
  at a random moment, then started again until every file is in S3, then SIGTERM.

After each run it checks: every file has its object, byte-equal (read back from moto
directly); ``PRAGMA integrity_check`` of jobs.db is ``ok``; no job is left queued,
running or failed; every key was **written once** (the bucket is versioned: one
version per key); and no key was sent (PUT, or multipart completed) more often than
once plus the number of kills during which its job was running (read from jobs.db
right after each kill: a body cut off by the kill may be sent again, nothing else may).

``--record`` appends the figures to bench/RESULTS.md (section "Crash harness").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_file import append_to_section  # noqa: E402 - bench/ is the script's folder

from tests.conftest import start_moto_server, stop_moto_server  # noqa: E402
from tests.fault_proxy import FaultProxy  # noqa: E402

SCENARIOS = ("upload", "unchecked", "resume", "watch")
MiB = 1024 * 1024


@dataclass
class RunResult:
    number: int
    scenario: str
    files: int
    kills: int = 0
    killed_running: int = 0  # jobs in 'running' at the kills (may legitimately be re-sent)
    puts: int = 0
    resent: int = 0  # keys sent more than once
    rewritten: int = 0  # keys written more than once (versions)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Run:
    def __init__(self, number: int, scenario: str, files: int, endpoint: str, proxy: FaultProxy,
                 s3: object, rng: random.Random, work: Path) -> None:  # fmt: skip
        self.result = RunResult(number, scenario, files)
        self.proxy = proxy
        self.s3 = s3
        self.rng = rng
        self.bucket = f"crash-{number}-{uuid.uuid4().hex[:8]}"
        self.work = work / f"run-{number:03d}"
        self.source = self.work / "export"
        self.folder = self.source / "mba" / "csv"
        self.data = self.work / "data"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HMA_", "AWS_"))},
            "HMA_CONFIG_DIR": str(self.work / "config"),
            "HMA_DATA_DIR": str(self.data),
            "HMA_S3_ENDPOINT_URL": endpoint,
            "HMA_MBA_BUCKET": self.bucket,
            "HMA_MULTIPART_THRESHOLD": "5MiB",
            "HMA_MULTIPART_CHUNKSIZE": "5MiB",
            "HMA_MAX_ATTEMPTS": "3",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONPATH": str(REPO),
        }
        self.files: dict[str, bytes] = {}
        self.watch_wait = 30.0  # seconds the restarted watcher gets to finish everything
        self.running_at_kills: Counter[str] = Counter()

    # ------------------------------------------------------------------ helpers

    def make_files(self, into: Path) -> None:
        into.mkdir(parents=True, exist_ok=True)
        count = self.result.files
        for index in range(count):
            big = index % 10 == 0  # every tenth file goes multipart
            size = self.rng.randint(6 * MiB, 11 * MiB) if big else self.rng.randint(1, 256 * 1024)
            name = f"member-{index:04d}.csv"
            data = self.rng.randbytes(size)
            self.files[name] = data
            (into / name).write_bytes(data)

    def cli(self, *argv: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "hma_gui.cli", *argv],
            env=self.env,
            cwd=self.work,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.work / "stderr.log", "ab"),  # the child owns it
        )

    def sent(self) -> int:
        """Writes (PUT, POST) this run's bucket has received so far."""
        with self.proxy._lock:
            log = list(self.proxy.log)
        return sum(
            1 for method, path in log if method in ("PUT", "POST") and f"/{self.bucket}/" in path
        )

    def kill_at_random(self, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
        """SIGKILL once a random number of further writes reached S3 (plus up to 50 ms), so
        kills land while uploads are in flight rather than before or after them."""
        target = self.sent() + self.rng.randint(1, max(1, len(self.files) // 2))
        deadline = time.monotonic() + timeout
        while self.sent() < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(self.rng.uniform(0, 0.05))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            self.proxy.wait_idle()  # a body the proxy had whole reaches S3 before anyone looks
            self.result.kills += 1
            running = self.running_keys()
            self.result.killed_running += len(running)
            self.running_at_kills.update(running)

    def running_keys(self) -> list[str]:
        path = self.data / "jobs.db"
        if not path.exists():
            return []
        with sqlite3.connect(path) as conn:
            return [row[0] for row in conn.execute("SELECT key FROM jobs WHERE state = 'running'")]

    def finish(self, *argv: str, timeout: float = 600) -> None:
        process = self.cli(*argv)
        code = process.wait(timeout)
        if code not in (0, 1):
            self.result.problems.append(f"{' '.join(argv)} exited {code}")

    # ------------------------------------------------------------------ scenarios

    def play(self) -> RunResult:
        started = time.monotonic()
        self.work.mkdir(parents=True)
        self.s3.create_bucket(Bucket=self.bucket)  # type: ignore[attr-defined]
        self.s3.put_bucket_versioning(  # type: ignore[attr-defined]
            Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
        )  # every write of a key is a version: "written once" can be counted
        if self.result.scenario == "watch":
            self.play_watch()
        else:
            self.make_files(self.folder)
            # "unchecked": no duplicate check, so no precondition guards a second write
            unchecked = ("--no-check-s3",) if self.result.scenario == "unchecked" else ()
            self.kill_at_random(
                self.cli("upload", str(self.source), "--concurrency", "4", *unchecked)
            )
            if self.result.scenario == "resume":
                self.kill_at_random(self.cli("resume", "--concurrency", "4"))
            self.finish("resume", "--concurrency", "4")
        self.check()
        self.result.seconds = time.monotonic() - started
        return self.result

    def play_watch(self) -> None:
        self.folder.mkdir(parents=True)
        staging = self.work / "staging"
        self.make_files(staging)
        names = sorted(self.files)
        watch_args = ("watch", str(self.source), "--scope", "mba", "--settle", "0.3",
                      "--concurrency", "4")  # fmt: skip
        watcher = self.cli(*watch_args)
        split = self.rng.randint(len(names) // 3, len(names))
        for name in names[:split]:  # files arrive while the watcher runs
            (staging / name).rename(self.folder / name)
            time.sleep(0.02)
        self.kill_at_random(watcher)
        for name in names[split:]:  # and while it is down
            (staging / name).rename(self.folder / name)
        watcher = self.cli(*watch_args)
        deadline = time.monotonic() + self.watch_wait
        while time.monotonic() < deadline and not self.all_done():
            time.sleep(0.5)
        watcher.send_signal(signal.SIGTERM)
        try:
            watcher.wait(60)
        except subprocess.TimeoutExpired:
            watcher.kill()
            self.result.problems.append("watch did not stop on SIGTERM within 60 s")
        left = self.unfinished()
        if left:  # what the restarted watcher did not upload; `resume` is the way out
            self.result.problems.append(
                f"the restarted watch left {left} jobs unfinished for {self.watch_wait:.0f} s "
                "(jobs of the killed session; `hma-ingest resume` finished them)"
            )
            self.finish("resume", "--concurrency", "4")

    def unfinished(self) -> int:
        with sqlite3.connect(self.data / "jobs.db", timeout=10) as conn:
            row = conn.execute("SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'running')")
            return int(row.fetchone()[0])

    def all_done(self) -> bool:
        path = self.data / "jobs.db"
        if not path.exists():
            return False
        with sqlite3.connect(path, timeout=10) as conn:
            states = dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        finished = states.get("done", 0) + states.get("skipped", 0)
        return (
            finished >= len(self.files) and not states.get("queued") and not states.get("running")
        )

    # ------------------------------------------------------------------ checks

    def check(self) -> None:
        problems = self.result.problems
        listed: dict[str, str] = {}
        paginator = self.s3.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        for page in paginator.paginate(Bucket=self.bucket):
            for item in page.get("Contents", []):
                listed[item["Key"].rsplit("/", 1)[-1]] = item["Key"]
        for name, data in self.files.items():
            key = listed.get(name)
            if key is None:
                problems.append(f"missing: {name}")
                continue
            body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()  # type: ignore[attr-defined]
            if body != data:
                problems.append(f"not byte-equal: {key} ({len(body)} vs {len(data)} bytes)")
        with sqlite3.connect(self.data / "jobs.db") as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            states = dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        if verdict != "ok":
            problems.append(f"jobs.db integrity_check: {verdict}")
        for state in ("queued", "running", "failed"):
            if states.get(state):
                problems.append(f"{states[state]} jobs left {state}")
        puts = self.proxy.puts(self.bucket)
        self.result.puts = sum(puts.values())
        self.result.resent = sum(1 for count in puts.values() if count > 1)
        for key, count in puts.items():
            allowed = 1 + self.running_at_kills[key]
            if count > allowed:
                problems.append(f"{key} uploaded {count} times, at most {allowed} allowed")
        versions: Counter[str] = Counter()
        pages = self.s3.get_paginator("list_object_versions")  # type: ignore[attr-defined]
        for page in pages.paginate(Bucket=self.bucket):
            versions.update(v["Key"] for v in page.get("Versions", []))
        rewritten = sorted(key for key, count in versions.items() if count > 1)
        self.result.rewritten = len(rewritten)
        problems.extend(f"{key} written {versions[key]} times" for key in rewritten)


def run_all(runs: int, files: int, seed: int) -> list[RunResult]:
    rng = random.Random(seed)
    server = start_moto_server()
    proxy = FaultProxy(server.endpoint)
    s3 = boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",  # noqa: S106 - moto's dummy key
        config=Config(retries={"max_attempts": 3}),
    )  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="hma-crash-"))
    results: list[RunResult] = []
    try:
        for number in range(1, runs + 1):
            scenario = SCENARIOS[(number - 1) % len(SCENARIOS)]
            run = Run(number, scenario, files, proxy.endpoint, proxy, s3, rng, work)
            result = run.play()
            results.append(result)
            verdict = "ok" if result.ok else "FAILED: " + "; ".join(result.problems)
            print(
                f"run {number:3d} {scenario:7s} kills {result.kills} running-at-kill "
                f"{result.killed_running:2d} puts {result.puts:3d} resent {result.resent} "
                f"{result.seconds:5.1f}s {verdict}",
                flush=True,
            )
            shutil.rmtree(run.work, ignore_errors=True)
            server.reset()
            with proxy._lock:  # a fresh request log per run (keys are per bucket anyway)
                proxy.log.clear()
    finally:
        proxy.close()
        stop_moto_server(server)
        shutil.rmtree(work, ignore_errors=True)
    return results


def summary(results: list[RunResult], command: str) -> list[str]:
    failed = [r for r in results if not r.ok]
    by = Counter(r.scenario for r in results)
    return [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Command: `{command}`.",
        "",
        f"- runs: {len(results)} ({', '.join(f'{n} {s}' for s, n in sorted(by.items()))}), "
        f"{results[0].files if results else 0} files each (every tenth 6–11 MiB, multipart)",
        f"- kills: {sum(r.kills for r in results)}; jobs running at a kill: "
        f"{sum(r.killed_running for r in results)}",
        f"- PUTs (single or completed multipart): {sum(r.puts for r in results)}; keys sent "
        f"more than once: {sum(r.resent for r in results)} (each allowed: its job was running "
        f"at a kill); keys written more than once: {sum(r.rewritten for r in results)}",
        f"- runs with a problem: {len(failed)}"
        + "".join(f"\n  - run {r.number} ({r.scenario}): {'; '.join(r.problems)}" for r in failed),
        f"- wall time: {sum(r.seconds for r in results):.0f} s",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args(argv)
    results = run_all(args.runs, args.files, args.seed)
    command = "python bench/crash_harness.py " + " ".join(argv or sys.argv[1:])
    lines = summary(results, command.strip())
    print("\n".join(lines))
    if args.record:
        append_to_section("## Crash harness", lines)
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
