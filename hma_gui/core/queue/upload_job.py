"""One delivered upload job, checked before the executor uploads it (`DeliveryCheck`).

* The desktop's path is mapped to this worker's (`PathMap`); a file the worker
  cannot read fails with that reason.
* A job delivered again (its worker died, or its acknowledgement was lost)
  first asks S3 what is at the key (one HEAD): the same MD5 there means the
  job is done — acknowledged without a PUT.
* Otherwise it becomes a `Job` for the `UploadExecutor`, its precondition as
  `Job.expected_etag` (``*`` for a key believed new, the ETag for a decided
  overwrite): the uploader writes it conditionally (`upload.conditions`), and a
  refused precondition is settled there by one HEAD — our bytes are there (an
  earlier delivery wrote them) → done; other bytes → a conflict, never a
  silent overwrite.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import botocore.exceptions as bce

from hma_gui.core.errors import SourceFileError
from hma_gui.core.hashes.digests import md5_file
from hma_gui.core.jobs.records import Decision, Job, JobState
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.messages import Delivery, Expect, JobMessage, Written
from hma_gui.core.queue.path_map import PathMap
from hma_gui.core.s3.client import S3Client, translate_error
from hma_gui.core.upload.conditions import stored_object


class DeliveryCheck:
    """Turns a delivery into an upload job, or settles it (thread-safe)."""

    def __init__(
        self,
        client: S3Client,
        *,
        path_map: PathMap | None = None,
        endpoint: str | None = None,
        sse: str = "AES256",
        owner: str = "",
    ) -> None:
        self._client = client
        self._path_map = path_map or PathMap()
        self._endpoint = endpoint
        self._sse = sse
        self._owner = owner

    def __call__(self, delivery: Delivery, job_id: int, cancel: CancelToken) -> Job | Written:
        """The job to upload, or what is already at its key (a redelivered job done before).

        Raises `SourceFileError` for a message that is no job or a file this worker
        cannot read, `UploadError` when S3 cannot be asked, `Cancelled`.
        """
        message = delivery.message
        if message is None:
            raise SourceFileError(delivery.problem or "unreadable message")
        path, size = self._readable(message.source)
        if delivery.receive_count > 1:
            there = self._object_md5(message)
            if there is not None and there[0] == md5_file(path, cancel=cancel):
                return self._written(path, there)
        now = time.time()
        return Job(
            id=job_id, batch_id=0, source=str(path), root=None, size=size,
            mtime_ns=message.mtime_ns, md5=message.md5, scope=message.scope,
            bucket=message.bucket, key=message.key, state=JobState.RUNNING,
            attempts=delivery.receive_count, error=None, retryable=False, etag=None,
            decision=Decision.OVERWRITE if message.expect is Expect.OVERWRITE else None,
            owner=self._owner, rev=0, created_at=message.sent_at, updated_at=now,
            started_at=now, finished_at=None, expected_etag=message.expected_etag,
        )  # fmt: skip

    def _readable(self, source: str) -> tuple[Path, int]:
        mapped = self._path_map.to_worker(source)
        path = Path(mapped)
        via = f" (mapped from {source})" if mapped != source else ""
        try:
            info = path.stat()
        except FileNotFoundError:
            raise SourceFileError(f"the worker cannot read {path}{via}: no such file") from None
        except OSError as exc:
            raise SourceFileError(
                f"the worker cannot read {path}{via}: {exc.strerror or exc}"
            ) from None
        if not os.access(path, os.R_OK):
            raise SourceFileError(f"the worker cannot read {path}{via}: permission denied")
        if info.st_size < 0:
            raise SourceFileError(f"the worker cannot read {path}{via}")
        return path, info.st_size

    def _object_md5(self, message: JobMessage) -> tuple[str, str, int] | None:
        """(MD5, ETag, size) of what is at the job's key now, or None when nothing is."""
        try:
            # 403: a worker without s3:ListBucket (deploy/queue.yaml grants none) is told
            # "forbidden" for a missing key; the conditional PUT decides instead.
            there = stored_object(
                self._client, message.bucket, message.key, kms=self._sse == "aws:kms",
                forbidden_is_missing=True,
            )  # fmt: skip
        except (bce.ClientError, bce.BotoCoreError) as exc:
            raise translate_error(exc, bucket=message.bucket, endpoint=self._endpoint) from exc
        if there is None or there.md5 is None:
            return None
        return there.md5, there.etag, there.size

    @staticmethod
    def _written(path: Path, there: tuple[str, str, int]) -> Written:
        md5, etag, size = there
        try:
            mtime_ns: int | None = path.stat().st_mtime_ns
        except OSError:
            mtime_ns = None
        return Written(etag=etag, md5=md5, size=size, mtime_ns=mtime_ns)
