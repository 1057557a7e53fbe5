"""A running row is closed as interrupted only when its owner is gone, never while it loads.

The owner is a second process (as a Lambda or another window would be): it takes the
members lock and writes a ``running`` row, then waits. A run of this process must
leave that row alone; once the owner is killed, the next run closes it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import EtlOptions, run_etl
from hma_gui.core.etl.results import FileStatus
from tests.conftest import S3Env
from tests.etl.conftest import SAMPLE_CSV, Target, upload_csv

pytestmark = pytest.mark.integration

OWNER = """
import datetime as dt, sys
from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.database import DbConfig
from hma_gui.core.etl.open_db import open_database
from hma_gui.core.etl.database import AuditStart
db = open_database(DbConfig.from_settings(load_settings()))
db.init_schema()
assert db.acquire_table_lock("members", 0)
db.audit_start(AuditStart("r" * 32, "b", "mba/csv/other.csv", "e", None, 1, "members",
                          dt.datetime(2026, 1, 1), "worker"))
print("ready", flush=True)
sys.stdin.read()  # until killed
"""


def test_running_rows_of_a_live_owner_stay_open(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", (SAMPLE_CSV / "plan_details.csv").read_bytes())
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "ready"

        result = run_etl(load_settings(), EtlOptions(lock_wait=0))

        assert result.ok and result.files[0].status is FileStatus.SUCCEEDED
        rows = {r["object_key"]: r for r in target.runs()}
        assert rows["mba/csv/other.csv"]["status"] == "running"  # its owner still loads
        owner_row = target.query(
            "SELECT owner_host, owner_pid, source FROM etl_runs "
            "WHERE object_key = 'mba/csv/other.csv'"
        )[0]
        assert int(owner_row[1]) == owner.pid and owner_row[2] == "worker"
    finally:
        owner.kill()
        owner.wait(30)

    run_etl(load_settings())

    rows = {r["object_key"]: r for r in target.runs()}
    assert rows["mba/csv/other.csv"]["status"] == "failed"
    assert rows["mba/csv/other.csv"]["error"].startswith("interrupted")
