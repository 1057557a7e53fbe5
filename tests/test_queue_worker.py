"""The queue worker on main's upload executor, without servers: the local queue in a
temporary job store, a fake uploader and a fake S3 client for the redelivery HEAD.

The same worker against moto's S3 and SQS over HTTP (kill -9, SIGTERM, poison
messages) is in tests/test_queue_sqs.py and tests/test_queue_local.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from hma_gui.core.errors import AuthError, UploadError
from hma_gui.core.jobs.records import JobState
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.queue.local_queue import LocalQueue
from hma_gui.core.queue.messages import Expect, JobMessage
from hma_gui.core.queue.outcomes import OutcomeKind, WorkerOptions, WorkerOutcome, WorkerReport
from hma_gui.core.queue.upload_job import DeliveryCheck
from hma_gui.core.queue.worker import QueueWorker
from hma_gui.core.s3.client import S3Client
from hma_gui.core.upload.conditions import Expected
from hma_gui.core.upload.uploader import Uploader, UploadResult

DRAIN = WorkerOptions(concurrency=2, drain=True, wait_seconds=0.05, lease_seconds=30)


class FakeUploader:
    """Records each upload's precondition; `error` makes every upload fail."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: list[tuple[str, Expected | None, object]] = []
        self.error: Exception | None = None

    def upload(
        self,
        path: str | Path,  # the executor hands the job's path over as text
        bucket: str,
        key: str,
        *,
        progress: ByteSink,
        cancel: CancelToken,
        expected: Expected | None = None,
        journal: object = None,
        earlier_attempt: bool = False,
    ) -> UploadResult:
        with self.lock:
            self.calls.append((key, expected, journal))
        if self.error is not None:
            raise self.error
        data = Path(path).read_bytes()
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        return UploadResult(md5, md5, len(data), Path(path).stat().st_mtime_ns, 0, None)

    def close(self) -> None:
        return None


class FakeS3:
    """head_object only: what is at each key (MD5 in the metadata)."""

    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects
        self.heads: list[str] = []

    def head_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        import botocore.exceptions as bce

        self.heads.append(Key)
        md5 = self.objects.get(Key)
        if md5 is None:
            error = {"Error": {"Code": "404"}, "ResponseMetadata": {"HTTPStatusCode": 404}}
            raise bce.ClientError(error, "HeadObject")  # type: ignore[arg-type]
        return {"ETag": f'"{md5}"', "Metadata": {"md5": md5}, "ContentLength": 3}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    with JobStore(tmp_path / "jobs.db") as opened:
        yield opened


def files(root: Path, count: int) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = root / f"f{n}.csv"
        path.write_bytes(f"{n},x\n".encode())
        paths.append(path)
    return paths


def run(
    queue: LocalQueue, uploader: FakeUploader, s3: Any = None, options: WorkerOptions = DRAIN
) -> tuple[WorkerReport, list[WorkerOutcome]]:
    outcomes: list[WorkerOutcome] = []
    client = cast(S3Client, s3 if s3 is not None else FakeS3({}))
    worker = QueueWorker(
        queue, cast(Uploader, uploader), DeliveryCheck(client), options, on_outcome=outcomes.append
    )
    return worker.run(), outcomes


def test_the_executor_uploads_each_job_with_the_precondition_its_message_carries(
    store: JobStore, tmp_path: Path
) -> None:
    new, over, anyway = files(tmp_path / "data", 3)
    queue = LocalQueue(store)
    queue.send(
        [
            JobMessage(str(new), "b", "k/new", size=1),
            JobMessage(str(over), "b", "k/over", size=1, expect=Expect.OVERWRITE, etag='"ABC"'),
            JobMessage(str(anyway), "b", "k/any", size=1, expect=Expect.ANY),
        ]
    )
    uploader = FakeUploader()
    report, outcomes = run(queue, uploader)

    assert sorted((key, expected) for key, expected, _ in uploader.calls) == [
        ("k/any", None), ("k/new", Expected(None)), ("k/over", Expected("abc")),
    ]  # fmt: skip
    assert all(journal is None for _, _, journal in uploader.calls)  # no resume across workers
    assert (report.uploaded, report.failed, report.stop_reason) == (3, 0, "drained")
    assert {o.kind for o in outcomes} == {OutcomeKind.UPLOADED}
    counters = store.counters()
    assert (counters.done, counters.queued, counters.running) == (3, 0, 0)
    done = {job.key: job for job in store.jobs(state=JobState.DONE)}
    assert done["k/new"].md5 == hashlib.md5(new.read_bytes(), usedforsecurity=False).hexdigest()


def test_a_redelivered_job_already_in_s3_is_acknowledged_without_an_upload(
    store: JobStore, tmp_path: Path
) -> None:
    [path] = files(tmp_path / "data", 1)
    queue = LocalQueue(store)
    queue.send([JobMessage(str(path), "b", "k/0", size=1)])
    queue.release(queue.receive(10, 0, 30))  # handed back: not counted as a receive
    [first] = queue.receive(10, 0, 30)
    queue.fail(first, "connection reset", retry_in=0)  # written, but its answer was lost
    md5 = hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    s3 = FakeS3({"k/0": md5})
    uploader = FakeUploader()
    report, outcomes = run(queue, uploader, s3)

    assert uploader.calls == [] and s3.heads == ["k/0"]
    assert [(o.kind, o.delivery.receive_count) for o in outcomes] == [
        (OutcomeKind.ALREADY_THERE, 2)
    ]
    assert report.already_there == 1
    [job] = store.jobs(state=JobState.DONE)
    assert (job.etag, job.md5) == (md5, md5)


def test_failures_go_back_to_the_queue_until_its_receive_limit(
    store: JobStore, tmp_path: Path
) -> None:
    [path] = files(tmp_path / "data", 1)
    queue = LocalQueue(store, max_receives=2)
    queue.send(
        [
            JobMessage(str(path), "b", "k/0", size=1),
            JobMessage(str(tmp_path / "gone.csv"), "b", "k/gone", size=1),
        ]
    )
    uploader = FakeUploader()
    uploader.error = UploadError("S3 said no", retryable=True, code="InternalError")
    report, outcomes = run(queue, uploader, options=DRAIN)

    failed = sorted((o.uri, o.delivery.receive_count, o.detail) for o in outcomes)
    assert failed == [
        ("s3://b/k/0", 1, "S3 said no"), ("s3://b/k/0", 2, "S3 said no"),
        ("s3://b/k/gone", 1, f"the worker cannot read {tmp_path / 'gone.csv'}: no such file"),
        ("s3://b/k/gone", 2, f"the worker cannot read {tmp_path / 'gone.csv'}: no such file"),
    ]  # fmt: skip
    assert len(uploader.calls) == 2  # the unreadable file never reached the uploader
    assert report.failed == 4
    assert queue.counters().dead_lettered == 2


def test_bad_credentials_stop_the_worker_with_the_reason(store: JobStore, tmp_path: Path) -> None:
    paths = files(tmp_path / "data", 6)
    queue = LocalQueue(store)
    queue.send([JobMessage(str(p), "b", f"k/{n}", size=1) for n, p in enumerate(paths)])
    uploader = FakeUploader()
    uploader.error = AuthError("the credentials were refused")
    options = WorkerOptions(concurrency=1, wait_seconds=0.05, lease_seconds=30)  # not draining
    report, _ = run(queue, uploader, options=options)

    assert report.stop_reason == "the credentials were refused"
    assert (report.failed, report.uploaded) == (1, 0)
    counters = store.counters()
    # the failed job is queued again for a later try, the rest were handed back
    assert (counters.running, counters.queued, counters.failed) == (0, 6, 0)


def test_a_dead_endpoint_stops_a_draining_worker_with_the_reason(
    store: JobStore, tmp_path: Path
) -> None:
    paths = files(tmp_path / "data", 8)
    queue = LocalQueue(store)
    queue.send([JobMessage(str(p), "b", f"k/{n}", size=1) for n, p in enumerate(paths)])
    uploader = FakeUploader()
    uploader.error = UploadError("cannot connect to the endpoint", code="connection")
    options = WorkerOptions(concurrency=1, drain=True, wait_seconds=0.05, lease_seconds=30)
    report, _ = run(queue, uploader, options=options)

    assert report.stop_reason == "uploads paused: cannot connect to the endpoint"
    assert report.failed == 3  # UNREACHABLE_LIMIT, then the executor paused
    assert store.counters().running == 0  # the buffered jobs were handed back


def test_a_service_worker_resumes_after_the_endpoint_pause(store: JobStore, tmp_path: Path) -> None:
    paths = files(tmp_path / "data", 5)
    queue = LocalQueue(store)
    queue.send([JobMessage(str(p), "b", f"k/{n}", size=1) for n, p in enumerate(paths)])
    uploader = FakeUploader()
    uploader.error = UploadError("cannot connect to the endpoint", code="connection")
    options = WorkerOptions(
        concurrency=1, wait_seconds=0.05, lease_seconds=30, resume_after_seconds=0.05
    )
    client = cast(S3Client, FakeS3({}))
    outcomes: list[WorkerOutcome] = []

    def seen(outcome: WorkerOutcome) -> None:
        outcomes.append(outcome)
        if len(outcomes) == 3:  # the executor pauses now; the endpoint comes back
            uploader.error = None
        if sum(o.kind is OutcomeKind.UPLOADED for o in outcomes) == 5:
            worker.stop("SIGTERM")

    worker = QueueWorker(
        queue, cast(Uploader, uploader), DeliveryCheck(client), options, on_outcome=seen
    )
    report = worker.run()

    assert (report.failed, report.uploaded, report.stop_reason) == (3, 5, "SIGTERM")
    assert store.counters().done == 5
