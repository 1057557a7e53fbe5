"""The CloudFormation templates under deploy/: cfn-lint clean, and the event path's promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cfn_template import load_template
from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"


@pytest.mark.slow
def test_every_template_is_cfn_lint_clean() -> None:
    templates = sorted(DEPLOY.glob("*.yaml"))
    assert templates
    done = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), *map(str, templates)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _template(name: str) -> dict[str, Any]:
    return load_template(DEPLOY / name)


def test_the_event_path_retries_the_right_way() -> None:
    template = _template("etl-events.yaml")
    resources = template["Resources"]
    mapping = resources["EventSourceMapping"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "MaximumConcurrency" in mapping["ScalingConfig"]
    queue = resources["EventQueue"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert "FifoQueue" not in queue  # a standard queue
    visibility = template["Mappings"]["VisibilityByTimeout"]
    for timeout in template["Parameters"]["FunctionTimeout"]["AllowedValues"]:
        assert visibility[str(timeout)]["Seconds"] >= 6 * int(timeout)
    function = resources["Function"]["Properties"]
    assert function["Handler"] == "hma_gui.lambdas.s3_csv_ingest_handler.handler"
    assert function["VpcConfig"] == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
    }
    notification = resources["MbaBucket"]["Properties"]["NotificationConfiguration"]
    rules = notification["QueueConfigurations"][0]["Filter"]["S3Key"]["Rules"]
    assert {r["Name"]: r["Value"] for r in rules} == {
        "prefix": {"Ref": "CsvPrefix"},
        "suffix": ".csv",
    }
    assert template["Parameters"]["CsvPrefix"]["Default"] == "mba/csv/"
    text = (DEPLOY / "etl-events.yaml").read_text()
    assert "subnet-" not in text and "sg-" not in text  # ids are parameters, never written in
