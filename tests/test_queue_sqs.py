"""The SQS backend end to end: real worker processes, moto's S3 and SQS over HTTP.

Delivery is at least once, effects happen once: a worker killed with -9 leaves
its jobs to come back when their leases run out, a fresh worker finishes them,
and no object is written twice except a job that was mid-PUT at the kill.
"""

from __future__ import annotations

import contextlib
import json
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.queue.messages import JobMessage
from hma_gui.core.queue.snapshot import SharedQueueClient
from tests.cli_runner import run_cli
from tests.conftest import MotoServer
from tests.fault_proxy import FaultProxy
from tests.queue_harness import (
    QueueEnv,
    make_files,
    make_queue_env,
    queue_moto,  # noqa: F401 - fixture
    start_worker,
    wait_until,
)

pytestmark = pytest.mark.integration


@pytest.mark.slow
def test_kill_9_mid_run_then_a_draining_worker_finishes_every_job_once(
    queue_moto: MotoServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy = FaultProxy(queue_moto.endpoint)  # S3 through the proxy: it counts the PUTs
    try:
        env = make_queue_env(queue_moto, monkeypatch, s3_endpoint=proxy.endpoint, lease=10)
        files = make_files(tmp_path / "data", 200)
        produced = run_cli("produce", str(tmp_path / "data"), "--scope", "mba", "--json")
        assert produced.code == 0, produced.err
        assert len(json.loads(produced.out)["sent"]) == 200
        assert env.depth() == (200, 0)

        workers = [
            start_worker(tmp_path / f"worker{n}.log", "--concurrency", "2", "--json")
            for n in range(3)
        ]
        wait_until(lambda: len(env.keys()) >= 40, 120, "40 uploads")
        victim = workers[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        wait_until(lambda: len(env.keys()) >= 120, 120, "120 uploads")
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for worker in workers[1:]:
            assert worker.wait(60) == 0, (tmp_path / "worker1.log").read_text()

        drained = run_cli("worker", "--drain", "--concurrency", "4", "--json")
        assert drained.code == 0, drained.out + drained.err
        lines = [json.loads(line) for line in drained.out.splitlines()]
        for log in ("worker1.log", "worker2.log"):
            text = (tmp_path / log).read_text()
            lines += [json.loads(x) for x in text.splitlines() if x.startswith("{")]
        assert lines[-1]["stopped"] == "SIGTERM"
        # the killed worker's leased jobs came back and were done by another
        assert any(line.get("receive_count", 0) >= 2 for line in lines)
        assert not any(line.get("outcome") == "failed" for line in lines)

        assert env.keys() == sorted(files)
        for key, data in files.items():
            assert env.read(key) == data, key
        puts = {k: n for k, n in proxy.puts(env.bucket).items() if k.startswith("mba/")}
        assert set(puts) == set(files)
        twice = {key: n for key, n in puts.items() if n > 1}
        # Only a job the killed worker was sending (2 at a time) may have been PUT again.
        assert len(twice) <= 2 and all(n == 2 for n in twice.values()), twice
        assert env.depth() == (0, 0)
        assert env.depth(env.dlq_url) == (0, 0)
    finally:
        proxy.close()


def test_a_poison_job_reaches_the_dead_letter_queue_after_exactly_max_receives(
    queue_moto: MotoServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    env = make_queue_env(queue_moto, monkeypatch, lease=10, max_receives=3)
    missing = tmp_path / "mba" / "csv" / "gone.csv"
    message = JobMessage(str(missing), env.bucket, "mba/csv/gone.csv", size=3, scope="mba")
    env.sqs.send_message(QueueUrl=env.url, MessageBody=message.encode())
    env.sqs.send_message(QueueUrl=env.url, MessageBody="{not json")

    result = run_cli("worker", "--drain", "--json")

    lines = [json.loads(line) for line in result.out.splitlines()]
    outcomes = [line for line in lines if "outcome" in line]
    for job in (message.id, None):
        tries = [o for o in outcomes if (o["job"] == job if job else o["job"] != message.id)]
        assert [o["receive_count"] for o in tries] == [1, 2, 3]
        assert all(o["outcome"] == "failed" for o in tries)
    assert result.code == 1
    assert env.depth() == (0, 0)
    assert env.depth(env.dlq_url)[0] == 2

    status = run_cli("queue", "status", "--json")
    body = json.loads(status.out)
    assert body["dead_lettered"] == 2 and body["failed"] == 6
    reasons = {d["job_id"]: d["reason"] for d in body["dead_letters"]}
    assert f"the worker cannot read {missing}: no such file" in reasons[message.id]
    assert any("not JSON" in reason for reason in reasons.values())

    redriven = run_cli("queue", "redrive")
    assert redriven.code == 0 and redriven.out.startswith("2 ")
    assert env.depth() == (2, 0) and env.depth(env.dlq_url) == (0, 0)


def test_sigterm_hands_unstarted_messages_back_at_once(
    queue_moto: MotoServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    proxy = FaultProxy(queue_moto.endpoint)
    try:
        env = make_queue_env(queue_moto, monkeypatch, s3_endpoint=proxy.endpoint, lease=300)
        make_files(tmp_path / "data", 12)
        assert run_cli("produce", str(tmp_path / "data"), "--scope", "mba").code == 0
        proxy.hold("PUT")  # the first job waits in its PUT; the rest wait in the buffer
        worker = start_worker(tmp_path / "worker.log", "--concurrency", "1")
        # one batch of ten received (leased for 300 s), the first job in its PUT (the
        # other PUT held is the worker's first report of itself to the ledger)
        wait_until(lambda: proxy.held >= 2 and env.depth() == (2, 10), 60, "the first PUT")

        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        wait_until(lambda: env.depth() == (11, 1), 10, "the unstarted nine handed back")
        handed_back = time.monotonic() - started

        proxy.release()
        assert worker.wait(30) == 0
        log = (tmp_path / "worker.log").read_text()
        assert "1 uploaded" in log and "9 handed back" in log, log
        assert handed_back < 3  # at once: not after the 300 s lease
        assert env.depth() == (11, 0)
    finally:
        proxy.close()


@contextlib.contextmanager
def _window_that_sent_three(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[QueueEnv, dict[str, bytes], Settings, JobStore, SharedQueueClient]]:
    """A window's store and shared-queue client that planned 3 files and sent every job."""
    env = make_queue_env(server, monkeypatch)
    files = make_files(tmp_path / "data", 3)
    settings = load_settings()
    with JobStore(tmp_path / "window.db") as store:
        client = SharedQueueClient(store, sender="desk-1")
        planned = plan([tmp_path / "data"], settings, PlanOptions(scope="mba"))
        store.enqueue(planned.jobs)
        forward = client.forwarder(settings)
        assert forward is not None
        forward(store.claim(len(planned.jobs)))
        yield env, files, settings, store, client


@pytest.mark.parametrize("now", ["local", "sqs://another-queue"])
def test_jobs_sent_before_the_shared_queue_was_turned_off_or_changed_still_settle(
    queue_moto: MotoServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    now: str,
) -> None:
    """The window sent 3 jobs, then its shared queue was set to `now`; a worker does them."""
    with _window_that_sent_three(queue_moto, monkeypatch, tmp_path) as sent:
        env, files, settings, store, client = sent
        assert {(j.state, j.owner) for j in store.jobs()} == {(JobState.RUNNING, SENT_OWNER)}
        counters = store.counters()
        assert (counters.sent, counters.bytes_sent) == (3, sum(map(len, files.values())))
        changed = settings.model_copy(update={"queue_url": now})
        assert client.follow(changed) == 0  # nobody has done them yet

        drained = run_cli("worker", "--drain", "--json")  # the worker still uses the old queue
        assert drained.code == 0, drained.err
        assert sorted(env.keys()) == sorted(files)

        assert client.follow(changed) == 3
        assert {j.state for j in store.jobs()} == {JobState.DONE}
        client.close()


@pytest.mark.parametrize("noticed", ["at a restart", "by the service tab's look", "by a follow"])
def test_jobs_sent_to_a_queue_deleted_since_end_done_or_failed_not_sent(
    queue_moto: MotoServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    noticed: str,
) -> None:
    """The window sent 3 jobs; a worker wrote one object; then the queue was deleted."""
    with _window_that_sent_three(queue_moto, monkeypatch, tmp_path) as sent:
        env, files, settings, store, client = sent
        assert client.follow(settings) == 0  # the queue is there: nobody reported yet
        written = sorted(files)[0]  # as a worker would have written it, before the deletion
        env.s3.put_object(Bucket=env.bucket, Key=written, Body=files[written])
        env.sqs.delete_queue(QueueUrl=env.url)
        if noticed == "at a restart":
            client.close()
            client = SharedQueueClient(store, sender="desk-1")
            assert client.follow(settings) == 3
        elif noticed == "by a follow":  # every few follows ask SQS whether it is still there
            assert client.follow(settings) == 3
        else:
            # the object's: a follow without failures asks S3 only
            assert client.follow(settings, failed_too=False) == 1
            with pytest.raises(ClientError, match="NonExistentQueue"):
                client.snapshot(settings)  # its counters: SQS says the queue is gone
        jobs = {j.key: j for j in store.jobs()}
        assert jobs[written].state is JobState.DONE
        lost = [j for key, j in jobs.items() if key != written]
        assert [j.state for j in lost] == [JobState.FAILED, JobState.FAILED]
        assert all("no longer exists" in (j.error or "") for j in lost)
        assert client.follow(settings) == 0  # settled once

        assert store.retry_failed() == 2  # "Retry failed" queues them again
        assert {j.state for j in store.jobs()} == {JobState.DONE, JobState.QUEUED}
        client.close()
