"""deploy/: cfn-lint catches a broken template (every template is linted in
test_deploy_templates.py); the worker's IAM policy and its
systemd unit say what docs/service.md promises."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cfn_template import load_template
from tests.conftest import IN_CI, REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"


def _cfn_lint() -> list[str]:
    found = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    if not Path(found).exists():
        message = "cfn-lint is not installed (the dev group has it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return [found]


@pytest.mark.slow
def test_cfn_lint_catches_a_broken_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (DEPLOY / "queue.yaml").read_text().replace("Type: AWS::SQS::Queue", "Type: AWS::SQS::Q")
    )
    done = subprocess.run([*_cfn_lint(), str(broken)], capture_output=True, timeout=300)
    assert done.returncode != 0


def _template() -> dict[str, object]:
    return load_template(DEPLOY / "queue.yaml")


def test_workers_get_only_the_actions_they_use() -> None:
    resources = _template()["Resources"]
    statements = resources["WorkerPolicy"]["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[index]
    actions = {
        a
        for s in statements
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert actions == {
        "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:ReceiveMessage",
        "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "s3:PutObject", "s3:GetObject",
    }  # fmt: skip
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in statements)
    redrive = resources["JobQueue"]["Properties"]["RedrivePolicy"]  # type: ignore[index]
    assert redrive["maxReceiveCount"] == {"Ref": "MaxReceiveCount"}


def test_the_systemd_unit_restarts_and_stops_with_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(DEPLOY / "hma-ingest-worker.service")
    service = unit["Service"]
    assert service["ExecStart"].split()[1:3] == ["worker", "--concurrency"]
    assert service["KillSignal"] == "SIGTERM" and service["Restart"] == "always"
    assert int(service["TimeoutStopSec"]) >= 60
