"""The Qt-free API the desktop app drives: plan, run with progress, cancel, history."""

from __future__ import annotations

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import EtlOptions, EtlRunner, run_etl
from hma_gui.core.etl.results import FileResult, FileStatus, TaskProgressAdapter
from hma_gui.core.etl.s3_source import SourceObject
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client
from tests.conftest import S3Env
from tests.etl.conftest import SAMPLE_CSV, Target, upload_csv

pytestmark = pytest.mark.integration


class Recorder:
    def __init__(self, cancel_at_rows: int | None = None, token: CancelToken | None = None):
        self.events: list[tuple[str, str, object]] = []
        self._cancel_at = cancel_at_rows
        self._token = token

    def file_started(self, source: SourceObject, table: str | None, index: int, count: int) -> None:
        self.events.append(("started", source.name, (table, index, count)))

    def file_progress(self, source: SourceObject, bytes_done: int, rows_read: int) -> None:
        self.events.append(("progress", source.name, (bytes_done, rows_read)))
        if self._cancel_at is not None and self._token and rows_read >= self._cancel_at:
            self._token.cancel("user pressed Stop")

    def file_finished(self, result: FileResult) -> None:
        self.events.append(("finished", result.source.name, result.status))


def upload_sample(s3_env: S3Env) -> None:
    for path in sorted(SAMPLE_CSV.glob("*.csv")):
        upload_csv(s3_env, path.name, path.read_bytes())


def test_progress_reports_every_file_in_load_order(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    recorder = Recorder()

    result = run_etl(load_settings(), progress=recorder)

    assert result.ok
    started = [(name, extra) for kind, name, extra in recorder.events if kind == "started"]
    assert started == [
        ("plan_details.csv", ("plans", 0, 4)),
        ("MemberData.csv", ("members", 1, 4)),
        ("deductibles_oop.csv", ("deductibles_oop", 2, 4)),
        ("benefit_accumulator.csv", ("benefit_accumulator", 3, 4)),
    ]
    member_progress = [e[2] for e in recorder.events if e[:2] == ("progress", "MemberData.csv")]
    assert member_progress[-1] == (result.files[1].source.size, 500)
    finished = [status for kind, _, status in recorder.events if kind == "finished"]
    assert finished == [FileStatus.SUCCEEDED] * 4


def test_cancel_rolls_back_the_current_file_and_stops(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    header = (SAMPLE_CSV / "MemberData.csv").read_text(encoding="utf-8").splitlines()[0]
    rows = [f"Z{n:08d},A,B,1980-01-01,F,HMO-NJ-23-0002,2024-01-01,,,," for n in range(30_000)]
    plans = (SAMPLE_CSV / "plan_details.csv").read_text(encoding="utf-8")
    upload_csv(s3_env, "plan_details.csv", (plans + "HMO-NJ-23-0002,X,HMO,,2023,1,,2,,\n").encode())
    upload_csv(
        s3_env, "MemberData.csv", ("\n".join([header, *(r[:-1] for r in rows)]) + "\n").encode()
    )
    token = CancelToken()
    recorder = Recorder(cancel_at_rows=10_000, token=token)
    settings = load_settings()
    runner = EtlRunner(
        make_s3_client(settings),
        target.open(),
        bucket=s3_env.mba_bucket,
        prefix="mba/",
        batch_rows=2000,
    )

    result = runner.run(EtlOptions(), recorder, token)

    assert result.cancelled and not result.ok
    assert [f.status for f in result.files] == [FileStatus.SUCCEEDED, FileStatus.CANCELLED]
    assert target.counts()["members"] == 0
    assert [r["status"] for r in target.runs()] == ["succeeded", "cancelled"]
    assert not any(name == "deductibles_oop.csv" for _, name, _ in recorder.events)


def test_plan_and_history_for_the_gui(s3_env: S3Env, target: Target) -> None:
    upload_sample(s3_env)
    upload_csv(s3_env, "zzz_unknown.csv", b"a\n1\n")
    settings = load_settings()
    database = target.open()
    try:
        runner = EtlRunner(
            make_s3_client(settings), database, bucket=s3_env.mba_bucket, prefix="mba/"
        )

        planned = runner.plan()

        assert [(p.source.name, p.table.name if p.table else None) for p in planned] == [
            ("plan_details.csv", "plans"),
            ("MemberData.csv", "members"),
            ("deductibles_oop.csv", "deductibles_oop"),
            ("benefit_accumulator.csv", "benefit_accumulator"),
            ("zzz_unknown.csv", None),
        ]
        assert (
            runner.plan(EtlOptions(tables=frozenset({"members"})))[0].source.name
            == "MemberData.csv"
        )
        runner.run()
        history = database.history(3)
        assert [(r.key.rsplit("/", 1)[-1], r.status) for r in history] == [
            ("benefit_accumulator.csv", "succeeded"),
            ("deductibles_oop.csv", "succeeded"),
            ("MemberData.csv", "succeeded"),
        ]  # a file matching no table is audited, not shown in the history
        assert history[0].rows_loaded == 1297 and history[0].finished_at is not None
        assert database.row_counts()["etl_runs"] == 5
    finally:
        database.close()


def test_task_progress_adapter_feeds_a_plain_task_progress(s3_env: S3Env, target: Target) -> None:
    upload_csv(s3_env, "plan_details.csv", (SAMPLE_CSV / "plan_details.csv").read_bytes())
    updates: list[tuple[int, int | None, str]] = []

    class Task:
        def update(self, done: int, total: int | None, message: str = "") -> None:
            updates.append((done, total, message))

    run_etl(load_settings(), progress=TaskProgressAdapter(Task()))

    size = (SAMPLE_CSV / "plan_details.csv").stat().st_size
    assert updates[0] == (0, size, "[1/1] plan_details.csv")
    assert updates[-1] == (size, size, "[1/1] plan_details.csv: succeeded")
    assert any(message.endswith("200 rows") for _, _, message in updates)


def test_one_loader_per_table_and_busy_is_a_file_result(s3_env: S3Env, target: Target) -> None:
    """A table another loader holds makes its file BUSY (retryable); the run goes on."""
    for name in ("plan_details.csv", "MemberData.csv"):
        upload_csv(s3_env, name, (SAMPLE_CSV / name).read_bytes())
    holder = target.open()
    holder.init_schema()
    assert holder.acquire_table_lock("members", 0)
    try:
        result = run_etl(load_settings(), EtlOptions(lock_wait=0.2))
        statuses = {f.table: f.status for f in result.files}
        assert statuses == {"plans": FileStatus.SUCCEEDED, "members": FileStatus.BUSY}
        assert FileStatus.BUSY.retryable and not result.ok
        assert target.counts()["plans"] == 200
        assert target.counts()["members"] == 0
    finally:
        holder.release_table_lock("members")
        holder.close()

    result = run_etl(load_settings())
    assert [f.status for f in result.files] == [FileStatus.SKIPPED, FileStatus.SUCCEEDED]


def test_a_planned_run_lists_s3_once(s3_env: S3Env, target: Target) -> None:
    """The window plans (and shows the plan) first, then runs it: one listing, not two."""
    upload_sample(s3_env)
    settings = load_settings()
    client = make_s3_client(settings)
    listings: list[str] = []
    client.meta.events.register(
        "before-call.s3.ListObjectsV2", lambda **kwargs: listings.append("list")
    )
    scope = settings.scope("mba")
    database = target.open()
    try:
        runner = EtlRunner(client, database, bucket=scope.bucket, prefix=scope.prefix)
        planned = runner.plan()
        result = run_etl(settings, client=client, database=database, planned=planned)
    finally:
        database.close()
    assert result.ok and len(result.files) == 4
    assert listings == ["list"]
