"""The Lambda zip (packaging/lambda/build.sh), installed as Lambda installs it, runs events.

Lambda unpacks the zip into ``/var/task`` and puts it on ``PYTHONPATH`` of a bare
python3.11; so does this test: the zip is unpacked into a directory, a clean
``python -m venv`` (no packages) runs the handler with ``PYTHONPATH`` set to
that directory only, never to this checkout, against moto and MariaDB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, S3Env
from tests.etl.conftest import SAMPLE_CSV, Target, upload_csv
from tests.etl.event_queue import EventQueue

pytestmark = [pytest.mark.packaged, pytest.mark.integration, pytest.mark.timeout(900)]

LIMIT = 50 * 1024 * 1024

_INVOKE = """
import json, sys
from hma_gui.lambdas.s3_csv_ingest_handler import handler
response = handler(json.loads(sys.argv[1]), None)
unwanted = sorted(
    m for m in sys.modules
    if m.split(".")[0] in ("PySide6", "shiboken6", "moto", "watchdog", "pytest", "tests")
    or m.startswith(("hma_gui.ui", "hma_gui.cli"))
)
print(json.dumps({"response": response, "unwanted": unwanted, "path": sys.path}))
"""


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lambda") / "hma-mba-csv-to-rds.zip"
    subprocess.run(
        ["bash", str(REPO_ROOT / "packaging" / "lambda" / "build.sh"), str(out)],
        check=True,
        timeout=600,
    )
    return out


def test_the_zip_is_small_and_holds_no_desktop_code(lambda_zip: Path) -> None:
    assert lambda_zip.stat().st_size < LIMIT
    names = zipfile.ZipFile(lambda_zip).namelist()
    assert "hma_gui/lambdas/s3_csv_ingest_handler.py" in names
    tops = {name.split("/")[0] for name in names}
    assert not tops & {"PySide6", "shiboken6", "moto", "watchdog", "tests"}
    assert not [n for n in names if n.startswith(("hma_gui/ui/", "hma_gui/cli/"))]
    assert {"pymysql", "pydantic_core", "boto3"} <= tops


def test_the_zip_loads_a_real_event_in_a_clean_python(
    lambda_zip: Path, tmp_path: Path, s3_env: S3Env, mysql_target: Target
) -> None:
    task = tmp_path / "task"
    zipfile.ZipFile(lambda_zip).extractall(task)
    venv = tmp_path / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"

    queue = EventQueue.create(s3_env.endpoint, s3_env.client, s3_env.mba_bucket)
    queue.receive()  # s3:TestEvent
    upload_csv(s3_env, "plan_details.csv", (SAMPLE_CSV / "plan_details.csv").read_bytes())
    records = queue.receive()
    assert len(records) == 1

    env = dict(os.environ, PYTHONPATH=str(task), AWS_LAMBDA_FUNCTION_NAME="hma-mba-csv-to-rds")
    done = subprocess.run(
        [str(python), "-c", _INVOKE, json.dumps({"Records": records})],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["response"] == {"batchItemFailures": []}
    assert answer["unwanted"] == []
    assert str(REPO_ROOT) not in answer["path"]
    assert mysql_target.counts()["plans"] == 200
    assert [(r["status"], r["rows_loaded"]) for r in mysql_target.runs()] == [("succeeded", 200)]
    assert mysql_target.query("SELECT source FROM etl_runs") == [("lambda",)]
