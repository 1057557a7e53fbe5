"""The `sqs` queue backend: an SQS standard queue and its dead-letter queue.

* `receive` long-polls (up to 20 s) and leases what it gets for the lease time
  (the visibility timeout); `extend` renews leases in batches of ten
  (ChangeMessageVisibilityBatch) while the worker's heartbeat runs.
* `ack` deletes only after the effect is durable; deletes are batched (ten per
  DeleteMessageBatch, the rest at the next `flush`). A worker killed before a
  flush leaves those jobs to be delivered again; the next worker finds their
  objects in S3 with the same MD5 and acknowledges them without a PUT.
* `fail` records the reason in the ledger (SQS keeps none) and makes the
  message visible again after a back-off; SQS's redrive policy moves it to the
  dead-letter queue once it has been received ``maxReceiveCount`` times.
* `release` hands messages back at once (visibility 0), e.g. on SIGTERM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from hma_gui.core.queue.ledger import RECENT_SECONDS, S3Ledger
from hma_gui.core.queue.messages import (
    DeadLetter,
    Delivery,
    JobMessage,
    MessageError,
    QueueCounters,
    WorkerSeen,
    Written,
)

logger = logging.getLogger(__name__)

BATCH = 10  # SQS's limit for every batch call
MAX_WAIT_SECONDS = 20


class SqsQueue:
    def __init__(
        self,
        client: Any,  # a boto3 SQS client
        url: str,
        *,
        dlq_url: str | None,
        max_receives: int | None = None,
        ledger: S3Ledger | None,
        worker: str = "",
    ) -> None:
        self._client = client
        self.url = url
        self.dlq_url = dlq_url
        self._max_receives = max_receives
        self.name = url.rstrip("/").rsplit("/", 1)[-1]
        self._ledger = ledger
        self._worker = worker
        self._acks: list[str] = []
        self._acks_lock = threading.Lock()

    # ------------------------------------------------------------- producing

    def send(self, jobs: Sequence[JobMessage]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(jobs), BATCH):
            chunk = jobs[start : start + BATCH]
            entries = [{"Id": str(n), "MessageBody": m.encode()} for n, m in enumerate(chunk)]
            response = self._client.send_message_batch(QueueUrl=self.url, Entries=entries)
            failed = response.get("Failed", [])
            if failed:
                again = [entries[int(f["Id"])] for f in failed if not f.get("SenderFault")]
                if len(again) != len(failed):
                    raise MessageError(f"SQS refused a job: {failed[0].get('Message')}")
                self._client.send_message_batch(QueueUrl=self.url, Entries=again)
            ids.extend(m.id for m in chunk)
        return ids

    def send_body(self, body: str) -> str:
        """One message as it is (an S3 event for the ETL queue); its SQS message id."""
        return str(self._client.send_message(QueueUrl=self.url, MessageBody=body)["MessageId"])

    # ------------------------------------------------------------- consuming

    def receive(self, max_jobs: int, wait_seconds: float, lease_seconds: int) -> list[Delivery]:
        response = self._client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=max(1, min(BATCH, max_jobs)),
            WaitTimeSeconds=max(0, min(MAX_WAIT_SECONDS, round(wait_seconds))),
            VisibilityTimeout=lease_seconds,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        return [_delivery(m) for m in response.get("Messages", [])]

    def extend(self, deliveries: Sequence[Delivery], lease_seconds: int) -> None:
        self._change_visibility(self.url, [d.handle for d in deliveries], lease_seconds)

    def _change_visibility(self, url: str, handles: Sequence[str], seconds: int) -> None:
        for start in range(0, len(handles), BATCH):
            chunk = handles[start : start + BATCH]
            response = self._client.change_message_visibility_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": h, "VisibilityTimeout": seconds}
                    for n, h in enumerate(chunk)
                ],
            )
            for failure in response.get("Failed", []):
                logger.warning("could not change a lease: %s", failure.get("Message"))

    def ack(self, delivery: Delivery, written: Written | None = None) -> None:
        with self._acks_lock:
            self._acks.append(delivery.handle)
            if len(self._acks) < BATCH:
                return
            handles, self._acks = self._acks, []
        self._delete(self.url, handles)

    def flush(self) -> None:
        with self._acks_lock:
            handles, self._acks = self._acks, []
        self._delete(self.url, handles)

    def _delete(self, url: str, handles: Sequence[str]) -> None:
        for start in range(0, len(handles), BATCH):
            chunk = handles[start : start + BATCH]
            response = self._client.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(n), "ReceiptHandle": h} for n, h in enumerate(chunk)],
            )
            for failure in response.get("Failed", []):
                # The lease ran out first: the job comes back and is found done in S3.
                logger.warning("could not delete a finished job: %s", failure.get("Message"))

    def fail(self, delivery: Delivery, reason: str, retry_in: int) -> None:
        if self._ledger is not None:
            message = delivery.message
            try:
                self._ledger.record_failure(
                    delivery.job_id,
                    reason=reason,
                    receive_count=delivery.receive_count,
                    worker=self._worker,
                    source=message.source if message else None,
                    uri=message.uri if message else None,
                )
            except Exception as exc:  # noqa: BLE001 - the job still goes back to the queue
                logger.warning("could not record why job %s failed: %s", delivery.job_id, exc)
        if self._max_receives is not None and delivery.receive_count >= self._max_receives:
            retry_in = 0  # the next receive moves it to the dead-letter queue
        self._change_visibility(self.url, [delivery.handle], max(0, retry_in))

    def release(self, deliveries: Sequence[Delivery]) -> None:
        self._change_visibility(self.url, [d.handle for d in deliveries], 0)

    # ------------------------------------------------------------- looking

    def _attributes(self, url: str) -> dict[str, int]:
        response = self._client.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )
        return {k: int(v) for k, v in response.get("Attributes", {}).items()}

    def counters(self) -> QueueCounters:
        main = self._attributes(self.url)
        dead = self._attributes(self.dlq_url) if self.dlq_url else {}
        seen = self._ledger.workers() if self._ledger is not None else []
        return QueueCounters(
            queued=main.get("ApproximateNumberOfMessages", 0)
            + main.get("ApproximateNumberOfMessagesDelayed", 0),
            in_flight=main.get("ApproximateNumberOfMessagesNotVisible", 0),
            processed=sum(w.processed for w in seen),
            failed=sum(w.failed for w in seen),
            dead_lettered=dead.get("ApproximateNumberOfMessages", 0)
            + dead.get("ApproximateNumberOfMessagesNotVisible", 0),
        )

    def _peek_dead(self, limit: int, lease: int) -> list[dict[str, Any]]:
        """Up to `limit` dead-letter messages, leased for `lease` seconds."""
        found: dict[str, dict[str, Any]] = {}
        while self.dlq_url and len(found) < limit:
            response = self._client.receive_message(
                QueueUrl=self.dlq_url,
                MaxNumberOfMessages=min(BATCH, limit - len(found)),
                WaitTimeSeconds=0,
                VisibilityTimeout=lease,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            messages = response.get("Messages", [])
            fresh = [m for m in messages if m["MessageId"] not in found]
            if not fresh:
                break
            found.update((m["MessageId"], m) for m in fresh)
        return list(found.values())

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        messages = self._peek_dead(limit, lease=30)
        if self.dlq_url:  # looked at, not taken: visible again at once
            self._change_visibility(self.dlq_url, [m["ReceiptHandle"] for m in messages], 0)
        letters: list[DeadLetter] = []
        for raw in messages:
            delivery = _delivery(raw)
            record = self._ledger.failure(delivery.job_id) if self._ledger else None
            message = delivery.message
            reason = (record or {}).get("reason") or delivery.problem
            letters.append(
                DeadLetter(
                    job_id=delivery.job_id,
                    source=message.source if message else None,
                    uri=message.uri if message else None,
                    reason=reason or "no reason recorded (did a worker die on it?)",
                    receive_count=int((record or {}).get("receive_count", 0)),
                    failed_at=(record or {}).get("failed_at"),
                )
            )
        return letters

    def redrive(self) -> int:
        """Every dead letter back onto the queue, as a new message (its receive count restarts)."""
        moved = 0
        while True:
            messages = self._peek_dead(BATCH, lease=60)
            if not messages:
                return moved
            entries = [{"Id": str(n), "MessageBody": m["Body"]} for n, m in enumerate(messages)]
            self._client.send_message_batch(QueueUrl=self.url, Entries=entries)
            self._delete(self.dlq_url or "", [m["ReceiptHandle"] for m in messages])
            moved += len(messages)

    def job_status(self, job_id: str) -> tuple[str, str | None] | None:
        record = self._ledger.failure(job_id) if self._ledger is not None else None
        return ("failed", str(record.get("reason"))) if record else None

    def workers(self) -> list[WorkerSeen]:
        if self._ledger is None:
            return []
        now = time.time()
        return [w for w in self._ledger.workers() if now - w.last_seen <= RECENT_SECONDS]

    def note_worker(self, seen: WorkerSeen) -> None:
        if self._ledger is not None:
            self._ledger.note_worker(seen)

    def close(self) -> None:
        self.flush()


def _delivery(raw: dict[str, Any]) -> Delivery:
    count = int(raw.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        message: JobMessage | None = JobMessage.decode(raw.get("Body", ""))
        problem = None
    except MessageError as exc:
        message, problem = None, str(exc)
    return Delivery(
        handle=raw["ReceiptHandle"],
        message_id=raw["MessageId"],
        receive_count=count,
        message=message,
        problem=problem,
        body=str(raw.get("Body", "")),
    )
