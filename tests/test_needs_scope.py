"""Files outside every scope folder wait as ``needs-scope`` until a scope is chosen."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hma_gui.core.config.settings import load_settings
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.rescope import set_scope
from hma_gui.core.jobs.schema import _V1, _split
from hma_gui.core.jobs.store import JobState, JobStore


def sample(tmp_path: Path) -> Path:
    root = tmp_path / "sample_data"
    (root / "mba" / "csv").mkdir(parents=True)
    (root / "mba" / "csv" / "m.csv").write_text("a,b\n")
    (root / "README.md").write_text("# read me\n")
    return root


def test_held_files_get_a_scope_and_are_queued(tmp_path: Path) -> None:
    settings = load_settings()
    root = sample(tmp_path)
    held = plan([root], settings, PlanOptions.from_settings(settings, hold_unscoped=False))
    assert [Path(j.source).name for j in held.failed] == ["README.md"]  # the CLI: a failure
    options = PlanOptions(hold_unscoped=True)
    planned = plan([root], settings, options)
    assert [Path(j.source).name for j in planned.needs_scope] == ["README.md"]
    assert not planned.failed
    with JobStore(tmp_path / "jobs.db") as store:
        store.enqueue(planned.jobs)
        counters = store.counters()
        assert (counters.queued, counters.needs_scope, counters.failed) == (1, 1, 0)
        assert counters.pending == 1 and counters.total == 2
        assert store.retry([j.id for j in store.jobs()]) == 0  # Retry is no way out: Set scope
        result = set_scope(store, store.jobs(), "mba", settings)
        assert (result.queued, result.problems) == (1, [])
        readme = next(j for j in store.jobs() if j.source.endswith("README.md"))
        assert readme.state is JobState.QUEUED and readme.error is None
        assert (readme.scope, readme.bucket) == ("mba", settings.scopes["mba"].bucket)
        assert readme.key == "mba/md/sample_data/README.md"
        assert set_scope(store, store.jobs(), "mba", settings).queued == 0  # not held any more


def test_a_schema_1_store_turns_its_no_scope_failures_into_held_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    db = sqlite3.connect(path)
    for statement in _split(_V1):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    insert = (
        "INSERT INTO jobs(source, size, state, error, created_at, updated_at)"
        " VALUES (?, 5, 'failed', ?, 0, 0)"
    )
    no_scope = "no scope folder (mba, policy) in the path of 'README.md'; choose a scope"
    db.execute(insert, ("/x/README.md", no_scope))
    db.execute(insert, ("/x/gone.csv", "the file vanished"))
    db.commit()
    db.close()
    with JobStore(path) as store:
        states = {Path(j.source).name: j.state for j in store.jobs()}
        counters = store.counters()
    assert states == {"README.md": JobState.NEEDS_SCOPE, "gone.csv": JobState.FAILED}
    assert (counters.needs_scope, counters.failed) == (1, 1)


def test_the_cli_status_counts_files_that_wait_for_a_scope(tmp_path: Path) -> None:
    import json

    from hma_gui.core import app_dirs
    from tests.cli_runner import run_cli

    settings = load_settings()
    planned = plan([sample(tmp_path)], settings, PlanOptions(hold_unscoped=True))
    with JobStore(app_dirs.ensure_dir(app_dirs.data_dir()) / "jobs.db") as store:
        store.enqueue(planned.jobs)  # as the window does
    status = json.loads(run_cli("status", "--json").out)
    assert (status["queued"], status["needs_scope"]) == (1, 1)
    text = run_cli("status").out
    assert "1 need a scope" in text
