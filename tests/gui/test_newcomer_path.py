"""The newcomer's path (issue 13) under a real X server, at 100 % and 200 % scale.

`tools/newcomer_path.py` runs in a subprocess under ``xvfb-run`` on a 1024×700
screen (not offscreen): first start, a drop, the scope question, the review
filtered to "Conflict", a watched folder, the ETL and its rejects. The script
checks each step's effect and that every window lies on the screen; this test
checks its exit status, that every step of the issue ran, and again that the
screenshots it saved (every window, and the whole X screen) are not blank.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tools.newcomer_checks import blank_reason

pytestmark = [pytest.mark.gui, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
STEPS = [
    "first-start", "window", "drop", "scope-question", "uploaded", "review",
    "review-conflict", "review-applied", "watch-dialog", "watched", "etl", "rejects", "done",
]  # fmt: skip
DIALOGS = {  # step → the dialog its screenshots must show
    "first-start": "FirstRunDialog",
    "scope-question": "QInputDialog",
    "review": "reviewDialog",
    "review-conflict": "reviewDialog",
    "watch-dialog": "WatchFolderDialog",
    "rejects": "rejectsDialog",
}


@pytest.mark.parametrize("scale", ["1", "2"])
def test_the_newcomer_path_holds_on_a_small_screen(tmp_path: Path, scale: str) -> None:
    xvfb_run = require_tool("xvfb-run")
    out = tmp_path / "shots"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(QT_QPA_PLATFORM="xcb", QT_SCALE_FACTOR=scale, PYTHONPATH=str(ROOT))
    command = [xvfb_run, "-a", "-s", "-screen 0 1024x700x24"]
    command += [sys.executable, str(ROOT / "tools" / "newcomer_path.py"), "--out", str(out)]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    report = f"stdout:\n{done.stdout}\nstderr:\n{done.stderr[-4000:]}"
    assert done.returncode == 0, report
    record = json.loads((out / "steps.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in record["steps"]] == STEPS, report

    shots = sorted(out.glob("*.png"))
    assert len(shots) == len(record["shots"]) >= 2 * len(STEPS)
    for number, name in enumerate(STEPS, start=1):
        mine = [p.name for p in shots if p.name.startswith(f"{number:02d}-{name}-")]
        assert f"{number:02d}-{name}-screen.png" in mine, mine  # the whole X screen
        if name in DIALOGS:
            assert f"{number:02d}-{name}-{DIALOGS[name]}.png" in mine, mine
    blank = [reason for p in shots if (reason := blank_reason(p)) is not None]
    assert not blank, blank
