"""The duplicate decisions' writes: where a job goes, and whether it goes at all.

The duplicate screen decides before jobs are enqueued; these are the
decisions made afterwards (the review of waiting jobs, the restart re-check,
"keep both" on a queued job). A decision never touches a job that started or
finished meanwhile (`redecide` says so).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from hma_gui.core.jobs.records import Decision, JobState
from hma_gui.core.jobs.store_db import StoreDb, decision_code


class DecisionWrites:
    """The duplicate decisions on one store's jobs."""

    def __init__(self, db: StoreDb) -> None:
        self._write = db.write
        self._next_rev = db.next_rev

    def retarget(self, job_id: int, *, key: str, decision: Decision | None) -> None:
        """Change where a queued job goes (duplicate review: keep both)."""
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET key = ?, decision = ?, rev = ?, updated_at = ? WHERE id = ?",
                (key, decision_code(decision), rev, time.time(), job_id),
            )

    def redecide(
        self,
        job_id: int,
        *,
        key: str,
        decision: Decision | None,
        state: JobState,
        error: str | None,
        expected_etag: str | None = None,
    ) -> bool:
        """A duplicate decision on a queued, skipped or waiting job: its target, state, reason.

        Atomic: a job that started or finished meanwhile is left alone (False).
        """
        now = time.time()
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET key = ?, decision = ?, state = ?, error = ?, retryable = 0,"
                " owner = NULL, expected_etag = ?, rev = ?, updated_at = ?, finished_at = ?"
                " WHERE id = ? AND state IN ('queued', 'skipped', 'waiting')",
                (
                    key, decision_code(decision), state.value, error, expected_etag, rev, now,
                    now if state.finished else None, job_id,
                ),
            )  # fmt: skip
            return cur.rowcount == 1

    def set_targets(self, targets: Iterable[tuple[int, str, str, str]]) -> int:
        """``(job id, scope, bucket, key)``: a held (needs-scope) job gets its target, queued."""
        now = time.time()
        changed = 0
        with self._write() as cur:
            rev = self._next_rev(cur)
            for job_id, scope, bucket, key in targets:
                cur.execute(
                    "UPDATE jobs SET scope = ?, bucket = ?, key = ?, state = 'queued',"
                    " error = NULL, retryable = 0, owner = NULL, rev = ?, updated_at = ?,"
                    " finished_at = NULL"
                    " WHERE id = ? AND state = 'needs-scope'",
                    (scope, bucket, key, rev, now, job_id),
                )
                changed += cur.rowcount
        return changed

    def set_decision(self, job_id: int, decision: Decision | None) -> None:
        with self._write() as cur:
            rev = self._next_rev(cur)
            cur.execute(
                "UPDATE jobs SET decision = ?, rev = ?, updated_at = ? WHERE id = ?",
                (decision_code(decision), rev, time.time(), job_id),
            )
