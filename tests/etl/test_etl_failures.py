"""A database that dies mid-file: the table is unchanged, etl_runs says why, a rerun completes.

Three ways to lose MariaDB while a member file is loading (connection killed
while rows are staged; connection killed in the middle of the merge statement;
the server process SIGKILLed), and the embedded SQLite case (the process
itself killed mid-file).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import EtlOptions, run_etl
from hma_gui.core.etl.results import FileResult, FileStatus
from hma_gui.core.etl.s3_source import SourceObject
from tests.conftest import S3Env
from tests.etl.conftest import Target, upload_csv
from tests.mariadb_server import MariaDbServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLANS = (
    "plan_id,plan_name,plan_type,plan_year,deductible_individual,oop_max_individual\n"
    "P-1,One,PPO,2024,100,200\nP-2,Two,HMO,2024,100,200\n"
)
MEMBER_HEADER = "member_id,first_name,last_name,date_of_birth,plan_id,effective_date\n"


def member_file(rows: int, *, last_name: str = "Doe") -> bytes:
    lines = [
        f"M-{n:07d},First{n},{last_name},1980-01-{1 + n % 28:02d},P-{1 + n % 2},2024-01-01"
        for n in range(rows)
    ]
    return (MEMBER_HEADER + "\n".join(lines) + "\n").encode()


class KillAt:
    """An `EtlProgress` that runs `action` once, when a member file has read `rows` rows."""

    def __init__(self, rows: int, action: object) -> None:
        self.rows = rows
        self.action = action
        self.fired = False

    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        return None

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        if not self.fired and source.name == "MemberData.csv" and rows_read >= self.rows:
            self.fired = True
            self.action()  # type: ignore[operator]

    def file_finished(self, result: FileResult) -> None:
        return None


def kill_connections(server: MariaDbServer, user: str = "hma", info: str | None = None) -> int:
    conn = server.root()
    killed = 0
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT ID, INFO FROM information_schema.PROCESSLIST WHERE USER = %s", (user,)
            )
            for thread_id, text in cursor.fetchall():
                if info is None or (text and text.startswith(info)):
                    cursor.execute(f"KILL {int(thread_id)}")
                    killed += 1
    finally:
        conn.close()
    return killed


def load_plans_and_seed(s3_env: S3Env, seed_members: bytes) -> None:
    upload_csv(s3_env, "plan_details.csv", PLANS.encode())
    upload_csv(s3_env, "MemberData.csv", seed_members)
    result = run_etl(load_settings())
    assert result.ok


def test_connection_killed_while_staging(s3_env: S3Env, mysql_target: Target) -> None:
    server = mysql_target.server
    assert server is not None
    load_plans_and_seed(s3_env, member_file(10, last_name="Before"))
    before = mysql_target.tables()
    upload_csv(s3_env, "MemberData.csv", member_file(120_000, last_name="After"))
    killer = KillAt(60_000, lambda: kill_connections(server))

    result = run_etl(load_settings(), progress=killer)

    assert killer.fired
    item = next(f for f in result.files if f.table == "members")
    assert item.status is FileStatus.FAILED
    assert "lost the connection" in str(item.error) and "table is unchanged" in str(item.error)
    assert mysql_target.tables() == before
    last = mysql_target.runs()[-1]
    assert last["status"] == "failed" and "lost the connection" in last["error"]

    rerun = run_etl(load_settings())

    assert [f.status for f in rerun.files] == [FileStatus.SKIPPED, FileStatus.SUCCEEDED]
    assert mysql_target.counts()["members"] == 120_000
    assert mysql_target.query("SELECT COUNT(*) FROM members WHERE last_name = 'After'") == [
        (120_000,)
    ]


def test_connection_killed_in_the_middle_of_the_merge(s3_env: S3Env, mysql_target: Target) -> None:
    """A row lock held elsewhere stops the merge statement half-way; then it is killed."""
    server = mysql_target.server
    assert server is not None
    load_plans_and_seed(s3_env, member_file(40_000, last_name="Before"))
    before = mysql_target.tables()
    upload_csv(s3_env, "MemberData.csv", member_file(40_000, last_name="After"))
    blocker = server.root(mysql_target.database)
    blocker.autocommit(False)
    with blocker.cursor() as cursor:  # the merge will wait on the last member of the file
        cursor.execute("SELECT * FROM members WHERE member_id = 'M-0039999' FOR UPDATE")
    killed: list[int] = []

    def kill_when_waiting() -> None:
        # MariaDB's INNODB_TRX does not list this waiter; the process list does.
        conn = server.root()
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                with conn.cursor() as cursor:
                    cursor.execute(
                        "SELECT ID, TIME_MS FROM information_schema.PROCESSLIST "
                        "WHERE USER = 'hma' AND INFO LIKE 'INSERT INTO `members`%' "
                        "AND TIME_MS > 1000"
                    )
                    for thread_id, waited in cursor.fetchall():
                        killed.append(int(waited))
                        cursor.execute(f"KILL {int(thread_id)}")
                time.sleep(0.05)
        finally:
            conn.close()

    watcher = threading.Thread(target=kill_when_waiting)
    watcher.start()
    try:
        result = run_etl(load_settings())
    finally:
        watcher.join()
        blocker.rollback()
        blocker.close()

    # Killed while the merge, having upserted the rows before it in file order, waited
    # for the lock on the file's last row.
    assert killed, "the merge never waited on the locked row"
    item = next(f for f in result.files if f.table == "members")
    assert item.status is FileStatus.FAILED
    assert mysql_target.tables() == before
    assert mysql_target.runs()[-1]["status"] == "failed"

    rerun = run_etl(load_settings())

    assert rerun.files[-1].status is FileStatus.SUCCEEDED
    assert mysql_target.query("SELECT COUNT(*) FROM members WHERE last_name = 'After'") == [
        (40_000,)
    ]


@pytest.fixture
def private_mariadb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mariadb: MariaDbServer
) -> MariaDbServer:
    """A server of this test's own, so that killing it harms no other test."""
    server = MariaDbServer.create(tmp_path)
    database = server.create_database("hma_crash")
    monkeypatch.setenv("HMA_DB_URL", server.url(database))
    monkeypatch.setenv("HMA_DB_PASSWORD", server.password)
    yield server  # type: ignore[misc]
    server.stop()


def test_server_killed_mid_file(s3_env: S3Env, private_mariadb: MariaDbServer) -> None:
    target = Target("mysql", private_mariadb, "hma_crash")
    load_plans_and_seed(s3_env, member_file(10, last_name="Before"))
    before = target.tables()
    upload_csv(s3_env, "MemberData.csv", member_file(120_000, last_name="After"))
    killer = KillAt(60_000, private_mariadb.kill)

    result = run_etl(load_settings(), progress=killer)

    assert killer.fired
    item = next(f for f in result.files if f.table == "members")
    assert item.status is FileStatus.FAILED
    reason = str(item.error)
    private_mariadb.start()  # crash recovery of the same datadir
    assert target.tables() == before

    rerun = run_etl(load_settings())

    assert rerun.files[-1].status is FileStatus.SUCCEEDED
    assert target.counts()["members"] == 120_000
    runs = [r for r in target.runs() if r["table_name"] == "members"]
    failed = runs[-2]
    assert failed["status"] == "failed"
    assert failed["error"] == reason  # recorded by the rerun from the pending journal
    assert runs[-1]["status"] == "succeeded"


DRIVER = """
import os, signal, sys
from hma_gui.core.etl.pipeline import run_etl
from hma_gui.core.config.settings import load_settings

class Crash:
    def file_started(self, *a): pass
    def file_finished(self, *a): pass
    def file_progress(self, source, done, rows):
        if source.name == "MemberData.csv" and rows >= 30000:
            os.kill(os.getpid(), signal.SIGKILL)

run_etl(load_settings(), progress=Crash())
"""


def test_sqlite_process_killed_mid_file(s3_env: S3Env) -> None:
    target = Target("sqlite")
    load_plans_and_seed(s3_env, member_file(10, last_name="Before"))
    before = target.tables()
    upload_csv(s3_env, "MemberData.csv", member_file(60_000, last_name="After"))

    crashed = subprocess.run([sys.executable, "-c", DRIVER], env=dict(os.environ), check=False)

    assert crashed.returncode == -9
    assert target.tables() == before
    assert target.runs()[-1]["status"] == "running"

    rerun = run_etl(load_settings(), EtlOptions())

    assert rerun.files[-1].status is FileStatus.SUCCEEDED
    runs = [r for r in target.runs() if r["table_name"] == "members"]
    assert [r["status"] for r in runs] == ["succeeded", "failed", "succeeded"]
    assert runs[1]["error"].startswith("interrupted: the run ended before this file finished")
    assert target.counts()["members"] == 60_000
