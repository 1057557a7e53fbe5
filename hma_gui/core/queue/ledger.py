"""What SQS does not keep, kept in S3: workers' counters and the reasons jobs failed.

SQS counts what waits and what is leased, but not what was processed, and it
never says why a message ended in the dead-letter queue. Each worker therefore
writes two kinds of small JSON objects under ``<prefix><queue name>/``:

* ``workers/<worker id>.json`` — its counters since it started and when it last
  reported (every few seconds while it runs, and when it stops); one object per
  worker, so workers never contend;
* ``failures/<job id>.json`` — the last failure of a job: the reason, the
  receive count, the worker, the time. ``queue status`` and the desktop's
  *Service* tab join them with the dead-letter queue's messages.

S3 is used because every worker can already write to it (the IAM policy in
deploy/ grants the ledger prefix) and it needs no other service.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import botocore.exceptions as bce

from hma_gui.core.queue.messages import WorkerSeen
from hma_gui.core.s3.client import S3Client

logger = logging.getLogger(__name__)

RECENT_SECONDS = 15 * 60  # workers that reported within this time are listed


class S3Ledger:
    def __init__(self, client: S3Client, bucket: str, prefix: str) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"

    def _put(self, key: str, body: dict[str, Any]) -> None:
        self._client.put_object(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Body=json.dumps(body).encode(),
            ContentType="application/json",
        )

    def _get(self, key: str) -> dict[str, Any] | None:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        value = json.loads(response["Body"].read())
        return value if isinstance(value, dict) else None

    # ------------------------------------------------------------- failures

    def record_failure(
        self, job_id: str, *, reason: str, receive_count: int, worker: str,
        source: str | None, uri: str | None,
    ) -> None:  # fmt: skip
        self._put(
            f"failures/{_safe(job_id)}.json",
            {
                "job_id": job_id,
                "reason": reason,
                "receive_count": receive_count,
                "worker": worker,
                "source": source,
                "uri": uri,
                "failed_at": time.time(),
            },
        )

    def failure(self, job_id: str) -> dict[str, Any] | None:
        return self._get(f"failures/{_safe(job_id)}.json")

    # ------------------------------------------------------------- workers

    def note_worker(self, seen: WorkerSeen) -> None:
        self._put(
            f"workers/{_safe(seen.worker)}.json",
            {
                "worker": seen.worker,
                "last_seen": seen.last_seen,
                "processed": seen.processed,
                "failed": seen.failed,
                "stopped": seen.stopped,
            },
        )

    def workers(self) -> list[WorkerSeen]:
        """Every worker's last report, newest first."""
        seen: list[WorkerSeen] = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + "workers/"):
            for item in page.get("Contents", []):
                body = self._get(item["Key"][len(self.prefix) :])
                if body is None:
                    continue
                seen.append(
                    WorkerSeen(
                        worker=str(body.get("worker", "")),
                        last_seen=float(body.get("last_seen", 0)),
                        processed=int(body.get("processed", 0)),
                        failed=int(body.get("failed", 0)),
                        stopped=bool(body.get("stopped", False)),
                    )
                )
        return sorted(seen, key=lambda w: w.last_seen, reverse=True)


def _safe(name: str) -> str:
    """A key segment: no slashes, no control characters."""
    return "".join(ch if ch.isalnum() or ch in "-_.:" else "_" for ch in name)[:200]
