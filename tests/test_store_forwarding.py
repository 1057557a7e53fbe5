"""`ForwardingStoreQueue` and `JobForwarding`: what the window's executor claims goes to a
shared queue; the links survive a restart; outcomes settle the jobs.

The shared queue here is a real `LocalQueue` over a second job store (its worker's
side driven through the queue interface); the outcome rules run against moto's S3.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.jobs.records import EXPECT_ABSENT, Decision
from hma_gui.core.jobs.shared_links import SENT_OWNER
from hma_gui.core.jobs.store import JobState, JobStore, NewJob
from hma_gui.core.queue.local_queue import LocalQueue
from hma_gui.core.queue.messages import Expect, JobMessage
from hma_gui.core.queue.sent_jobs import written_etag
from hma_gui.core.queue.store_forwarding import ForwardingStoreQueue, JobForwarding
from hma_gui.core.s3.client import S3Client
from tests.conftest import S3Env


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[JobStore, JobStore]]:
    window, shared = JobStore(tmp_path / "window.db"), JobStore(tmp_path / "shared.db")
    yield window, shared
    window.close()
    shared.close()


def new(name: str, **fields: object) -> NewJob:
    return NewJob(
        f"/data/mba/csv/{name}", 5, bucket="b", key=f"mba/csv/{name}", scope="mba", **fields
    )  # type: ignore[arg-type]


def enqueue_three(store: JobStore) -> None:
    store.enqueue(
        [
            new("over.csv", decision=Decision.OVERWRITE, expected_etag='"e1"', md5="m1"),
            new("fresh.csv", expected_etag=EXPECT_ABSENT),
            new("plain.csv"),
        ]
    )


def forwarding(window: JobStore, shared: JobStore) -> JobForwarding:
    return JobForwarding(window, LocalQueue(shared), None, sender="desk-1")  # type: ignore[arg-type]


def messages(store: JobStore) -> dict[str, JobMessage]:
    found = {}
    for link in store.shared.recent():
        message = JobMessage.decode(link.message)
        found[Path(message.source).name] = message
    return found


def test_what_the_executor_would_claim_is_sent_instead(
    stores: tuple[JobStore, JobStore],
) -> None:
    window, shared = stores
    enqueue_three(window)
    source = ForwardingStoreQueue(window, lambda: forwarding(window, shared).forward)
    assert source.claim(4) == []  # nothing for the local uploads
    assert {(j.state, j.owner) for j in window.jobs()} == {(JobState.RUNNING, SENT_OWNER)}
    assert all((j.error or "").startswith("sent to the shared queue local") for j in window.jobs())
    sent = messages(window)
    assert (sent["over.csv"].expect, sent["over.csv"].etag) == (Expect.OVERWRITE, '"e1"')
    assert sent["over.csv"].md5 == "m1"
    assert sent["fresh.csv"].expect is Expect.NEW
    assert sent["plain.csv"].expect is Expect.NEW  # not screened: the key must still be free
    assert {m.sender for m in sent.values()} == {"desk-1"}
    assert shared.counters().queued == 3  # on the shared queue, for its workers
    assert source.claim(4) == []


def test_without_a_shared_queue_the_claims_are_the_stores(
    stores: tuple[JobStore, JobStore],
) -> None:
    window, _ = stores
    enqueue_three(window)
    claimed = ForwardingStoreQueue(window, lambda: None).claim(2)
    assert [j.state for j in claimed] == [JobState.RUNNING] * 2
    assert window.shared.recent() == []


class RefusingQueue(LocalQueue):
    """A shared queue that cannot be reached (its sends fail)."""

    def send(self, jobs: Sequence[JobMessage]) -> list[str]:
        raise ConnectionError("cannot reach sqs.example")


def test_a_send_that_fails_leaves_the_jobs_failed_for_retry(
    stores: tuple[JobStore, JobStore],
) -> None:
    window, shared = stores
    enqueue_three(window)
    refusing = JobForwarding(window, RefusingQueue(shared), None)  # type: ignore[arg-type]
    assert ForwardingStoreQueue(window, lambda: refusing.forward).claim(4) == []
    jobs = window.jobs()
    assert {(j.state, j.retryable) for j in jobs} == {(JobState.FAILED, True)}
    assert {j.error for j in jobs} == {
        "could not send to the shared queue local: cannot reach sqs.example"
    }
    assert window.retry_failed() == 3  # "Retry failed" sends them again
    assert ForwardingStoreQueue(window, lambda: forwarding(window, shared).forward).claim(4) == []
    assert len(window.shared.recent()) == 3 and shared.counters().queued == 3


def test_sent_jobs_stay_sent_across_a_restart_and_are_followed(
    tmp_path: Path, stores: tuple[JobStore, JobStore]
) -> None:
    window, shared = stores
    enqueue_three(window)
    ForwardingStoreQueue(window, lambda: forwarding(window, shared).forward).claim(4)
    window.close()
    with JobStore(tmp_path / "window.db") as again:  # the window restarted
        assert again.recover_orphans() == 0  # a worker elsewhere runs them: not requeued
        assert {j.owner for j in again.jobs()} == {SENT_OWNER}
        queue = LocalQueue(shared, max_receives=1)
        follower = JobForwarding(again, queue, None)  # type: ignore[arg-type]
        assert follower.follow() == 0  # nothing happened yet
        # a worker takes the jobs: one is done, two fail (for good: one receive allowed)
        deliveries = {Path(d.message.source).name: d for d in queue.receive(3, 0, 60) if d.message}
        queue.ack(deliveries["fresh.csv"])
        queue.fail(deliveries["over.csv"], "conflict: another upload wrote this key", 0)
        queue.fail(deliveries["plain.csv"], "the worker cannot read /srv/x: no such file", 0)
        assert follower.follow() == 3
        jobs = {Path(j.source).name: j for j in again.jobs()}
        assert jobs["fresh.csv"].state is JobState.DONE
        assert (jobs["over.csv"].state, jobs["over.csv"].error) == (
            JobState.FAILED,
            "conflict: another upload wrote this key",
        )
        assert jobs["plain.csv"].error == "the worker cannot read /srv/x: no such file"
        # the queue gave up on the two (one receive allowed): dead-lettered, with the reason
        assert follower.follow() == 2
        jobs = {Path(j.source).name: j for j in again.jobs()}
        assert jobs["over.csv"].error == "dead-lettered: conflict: another upload wrote this key"
        assert jobs["over.csv"].state is JobState.FAILED
        assert follower.follow() == 0  # nothing changed: nothing written
        outcomes = {
            Path(JobMessage.decode(x.message).source).name: x for x in again.shared.recent()
        }
        assert outcomes["fresh.csv"].outcome == "done"
        assert outcomes["over.csv"].outcome == "dead-lettered"


class MessageIds(LocalQueue):
    """A local queue that answers with the messages' own ids, as SQS does."""

    def send(self, jobs: Sequence[JobMessage]) -> list[str]:
        super().send(jobs)
        return [m.id for m in jobs]


def test_an_answer_about_an_earlier_message_does_not_settle_a_later_one(
    stores: tuple[JobStore, JobStore],
) -> None:
    window, shared = stores
    window.enqueue([new("a.csv")])
    forward = JobForwarding(window, MessageIds(shared), None).forward  # type: ignore[arg-type]
    ForwardingStoreQueue(window, lambda: forward).claim(1)
    [first] = window.shared.recent()
    assert window.shared.settle(first.job_id, first.message_id, "failed", "boom")
    assert window.retry([first.job_id]) == 1
    ForwardingStoreQueue(window, lambda: forward).claim(1)
    [second] = window.shared.recent()
    assert second.message_id != first.message_id and second.outcome == "sent"
    assert not window.shared.settle(first.job_id, first.message_id, "done", etag="x")
    assert window.get(first.job_id).state is JobState.RUNNING  # type: ignore[union-attr]


# ------------------------------------------------------------- the outcome rule, on S3


def put(s3_env: S3Env, key: str, body: bytes) -> str:
    client: S3Client = s3_env.client  # type: ignore[assignment]
    response = client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=body)
    return clean_etag(response["ETag"])


def test_an_object_written_after_the_send_by_someone_else_is_not_done(s3_env: S3Env) -> None:
    import hashlib

    client: S3Client = s3_env.client  # type: ignore[assignment]
    old = put(s3_env, "mba/csv/r.csv", b"theirs\n")
    ours = hashlib.md5(b"mine\n", usedforsecurity=False).hexdigest()
    sent = JobMessage(
        "/d/r.csv", s3_env.mba_bucket, "mba/csv/r.csv", 5, md5=ours,
        expect=Expect.OVERWRITE, etag=old, sent_at=time.time() - 5,
    )  # fmt: skip
    put(s3_env, "mba/csv/r.csv", b"someone else's\n")  # newer than the message
    assert written_etag(sent, client) is None
    assert written_etag(sent, client, failed=True) is None
    mine = put(s3_env, "mba/csv/r.csv", b"mine\n")
    assert written_etag(sent, client, failed=True) == mine  # a later attempt succeeded

    unknown = JobMessage(  # no MD5 known: time decides, never for a recorded failure
        "/d/r.csv", s3_env.mba_bucket, "mba/csv/r.csv", 5, sent_at=time.time() - 5
    )
    assert written_etag(unknown, client) == mine
    assert written_etag(unknown, client, failed=True) is None
    replaced = JobMessage(
        "/d/r.csv", s3_env.mba_bucket, "mba/csv/r.csv", 5, expect=Expect.OVERWRITE,
        etag=mine, sent_at=time.time() - 5,
    )  # fmt: skip
    assert written_etag(replaced, client) is None  # still the object it was to replace
    gone = JobMessage("/d/x.csv", s3_env.mba_bucket, "mba/csv/none.csv", 5)
    assert written_etag(gone, client) is None


def test_every_sent_job_gets_its_turn_to_be_asked(stores: tuple[JobStore, JobStore]) -> None:
    window, shared = stores
    enqueue_three(window)
    ForwardingStoreQueue(window, lambda: forwarding(window, shared).forward).claim(4)
    follower = forwarding(window, shared)
    asked: list[int] = []
    for _ in range(3):
        [link] = window.shared.unsettled(1)
        asked.append(link.job_id)
        assert follower.follow(limit=1) == 0
    assert sorted(asked) == sorted(j.id for j in window.jobs())  # each once, none starved
    window.shared.settle(asked[0], window.shared.get(asked[0]).message_id, "failed", "x")  # type: ignore[union-attr]
    assert asked[0] not in [x.job_id for x in window.shared.unsettled(10, failed_too=False)]
    assert asked[0] in [x.job_id for x in window.shared.unsettled(10)]
