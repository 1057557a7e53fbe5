"""Jobs this window sent to a shared queue: the link from a job to its message, and the outcome.

With a shared queue set, a job the window would upload is claimed as usual and
then sent instead (`queue.store_forwarding`): it stays ``running``, its owner
`SENT_OWNER` (crash recovery leaves it alone: no process of ours runs it), its
message says where it went. The link (job id → the message as sent, as JSON)
is kept in ``shared_sent`` so that a restarted window still follows it; the
follower settles the job with what the worker reported: done (the object the
worker wrote), failed with the reason, or dead-lettered. A job sent again
(Retry, Upload again) replaces its link, so a late answer about an earlier
message never settles the newer one (`settle` checks the message id).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from hma_gui.core.files.path_text import printable
from hma_gui.core.jobs.records import SENT_OWNER
from hma_gui.core.jobs.store_db import StoreDb, record_done

__all__ = ["OUTCOMES", "SENT_OWNER", "SentLink", "SharedLinks"]

OUTCOMES = ("sent", "done", "failed", "dead-lettered")


@dataclass(frozen=True, slots=True)
class SentLink:
    job_id: int
    message_id: str
    message: str  # the message as sent (JSON: `queue.messages.JobMessage.encode`)
    queue: str
    sent_at: float
    outcome: str  # one of OUTCOMES
    reason: str | None


_COLUMNS = "s.job_id, s.message_id, s.message, s.queue, s.sent_at, s.outcome, s.reason"


class SharedLinks:
    def __init__(self, db: StoreDb) -> None:
        self._write = db.write
        self._next_rev = db.next_rev
        self._read = db.read

    def record_sent(self, sent: Sequence[tuple[int, str, str]], queue: str, note: str) -> int:
        """``(job id, message id, message JSON)``: running jobs now belong to the shared
        queue (their message column says `note`); returns how many were linked."""
        now = time.time()
        linked = 0
        with self._write() as cur:
            rev = self._next_rev(cur)
            for job_id, message_id, message in sent:
                cur.execute(
                    "UPDATE jobs SET owner = ?, error = ?, rev = ?, updated_at = ?"
                    " WHERE id = ? AND state = 'running'",
                    (SENT_OWNER, note, rev, now, job_id),
                )
                if cur.rowcount != 1:
                    continue
                cur.execute(
                    "INSERT OR REPLACE INTO shared_sent(job_id, message_id, message, queue,"
                    " sent_at, outcome, reason) VALUES (?, ?, ?, ?, ?, 'sent', NULL)",
                    (job_id, message_id, message, queue, now),
                )
                linked += 1
        return linked

    def unsettled(
        self, limit: int = 50, *, failed_too: bool = True, queue: str | None = None
    ) -> list[SentLink]:
        """Links whose job may still change, the longest unchecked first (`checked`).

        Sent ones; with `failed_too` also failed and dead-lettered ones (a later
        attempt, or a redrive, may still end them done). Gone jobs are skipped.
        `queue`: only those sent to the queue of that name.
        """
        where, params = _unsettled(failed_too, queue)
        rows = self._read(
            f"SELECT {_COLUMNS} FROM shared_sent s JOIN jobs j ON j.id = s.job_id"  # noqa: S608 - fixed clauses
            f" WHERE {where} ORDER BY s.checked_at, s.sent_at LIMIT ?",
            (*params, limit),
        )
        return [SentLink(*row) for row in rows]

    def unsettled_queues(self, *, failed_too: bool = True) -> list[str]:
        """The queues unsettled links were sent to (the shared queue may have changed since)."""
        where, params = _unsettled(failed_too, None)
        rows = self._read(
            "SELECT DISTINCT s.queue FROM shared_sent s JOIN jobs j ON j.id = s.job_id"  # noqa: S608 - fixed clauses
            f" WHERE {where} ORDER BY s.queue",
            params,
        )
        return [str(row[0]) for row in rows]

    def checked(self, job_ids: Sequence[int]) -> None:
        """These links were just looked at: the others come first next time."""
        if not job_ids:
            return
        with self._write() as cur:
            cur.execute(
                "UPDATE shared_sent SET checked_at = ?"  # noqa: S608 - placeholders only
                f" WHERE job_id IN ({','.join('?' * len(job_ids))})",
                [time.time(), *job_ids],
            )

    def recent(self, limit: int = 50) -> list[SentLink]:
        rows = self._read(
            f"SELECT {_COLUMNS} FROM shared_sent s ORDER BY s.sent_at DESC LIMIT ?",  # noqa: S608
            (limit,),
        )
        return [SentLink(*row) for row in rows]

    def get(self, job_id: int) -> SentLink | None:
        rows = self._read(
            f"SELECT {_COLUMNS} FROM shared_sent s WHERE s.job_id = ?",  # noqa: S608
            (job_id,),
        )
        return SentLink(*rows[0]) if rows else None

    def settle(
        self,
        job_id: int,
        message_id: str,
        outcome: str,
        reason: str | None = None,
        *,
        etag: str | None = None,
        md5: str | None = None,
    ) -> bool:
        """What the worker reported about `message_id`, onto the link and its job.

        Done: the job is done with the object's `etag` (and in the ledger of
        uploaded files); failed or dead-lettered: failed with `reason` (a later
        success may still settle it done). False when the job was sent again
        since, or is neither sent nor failed any more.
        """
        if outcome not in OUTCOMES or outcome == "sent":
            raise ValueError(f"not an outcome to settle: {outcome!r}")
        now = time.time()
        with self._write() as cur:
            cur.execute(
                "UPDATE shared_sent SET outcome = ?, reason = ? WHERE job_id = ? AND message_id = ?"
                " AND job_id IN (SELECT id FROM jobs WHERE state IN ('running', 'failed')"
                " AND (state = 'failed' OR owner = ?))",
                (outcome, reason, job_id, message_id, SENT_OWNER),
            )
            if cur.rowcount != 1:
                return False
            rev = self._next_rev(cur)
            if outcome == "done":
                record_done(cur, job_id, etag, md5, None, None, rev, now)
            else:
                cur.execute(
                    "UPDATE jobs SET state = 'failed', error = ?, retryable = 0, owner = NULL,"
                    " rev = ?, updated_at = ?, finished_at = ? WHERE id = ?",
                    (printable(reason or outcome), rev, now, now, job_id),
                )
            return True


def _unsettled(failed_too: bool, queue: str | None) -> tuple[str, tuple[object, ...]]:
    outcomes = "('sent', 'failed', 'dead-lettered')" if failed_too else "('sent')"
    where = f"s.outcome IN {outcomes} AND j.state IN ('running', 'failed')"
    return (where, ()) if queue is None else (f"{where} AND s.queue = ?", (queue,))
