"""One queued upload job, done once however often it is delivered.

* The desktop's path is mapped to this worker's (`PathMap`); a file the worker
  cannot read fails with that reason.
* A job delivered again (its worker died, or its acknowledgement was lost)
  first asks S3 what is at the key (one HEAD): the same MD5 there means the
  job is done — acknowledged without a PUT.
* Otherwise the write is conditional: ``If-None-Match: *`` for a key believed
  new, ``If-Match: <etag>`` for a decided overwrite. A refused precondition
  (412) is settled by one HEAD: our bytes are there (an earlier delivery wrote
  them) → done; other bytes → a conflict, never a silent overwrite.

The preconditions are added here, on the requests the `Uploader` makes (a thin
client wrapper), until the uploader takes a precondition itself (branch
`data-plane`); the rest — Content-MD5, the MD5 in the metadata, SSE, the ETag
check, multipart — is the uploader's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, cast

import botocore.exceptions as bce

from hma_gui.core.errors import SourceFileError, UploadError
from hma_gui.core.hashes.digests import clean_etag, md5_file
from hma_gui.core.progress import CancelToken
from hma_gui.core.queue.messages import Delivery, Expect, JobMessage, Written
from hma_gui.core.queue.path_map import PathMap
from hma_gui.core.s3.client import S3Client, translate_error
from hma_gui.core.upload.uploader import MD5_METADATA_KEY, UploadConfig, Uploader

CONFLICT = "conflict: another upload wrote this key meanwhile"


class Effect(StrEnum):
    UPLOADED = "uploaded"
    ALREADY_THERE = "already-there"


@dataclass(frozen=True, slots=True)
class Handled:
    effect: Effect
    written: Written
    path: str


class _ConditionalClient:
    """The S3 client, with a precondition on the requests that create the object."""

    def __init__(self, client: Any, condition: dict[str, str]) -> None:
        self._client = client
        self._condition = condition

    def put_object(self, **kwargs: Any) -> Any:
        return self._client.put_object(**kwargs, **self._condition)

    def complete_multipart_upload(self, **kwargs: Any) -> Any:
        return self._client.complete_multipart_upload(**kwargs, **self._condition)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def condition_for(message: JobMessage) -> dict[str, str]:
    if message.expect is Expect.NEW:
        return {"IfNoneMatch": "*"}
    if message.expect is Expect.OVERWRITE and message.etag:
        return {"IfMatch": f'"{clean_etag(message.etag)}"'}
    return {}


class QueueUploadHandler:
    """Does one delivered upload job (thread-safe: call from many worker threads)."""

    def __init__(
        self,
        client: S3Client,
        config: UploadConfig,
        *,
        path_map: PathMap | None = None,
        endpoint: str | None = None,
    ) -> None:
        self._client = client
        self._config = config
        self._path_map = path_map or PathMap()
        self._endpoint = endpoint

    def __call__(self, delivery: Delivery, cancel: CancelToken) -> Handled:
        message = delivery.message
        if message is None:
            raise SourceFileError(delivery.problem or "unreadable message")
        path = self._readable(message.source)
        if delivery.receive_count > 1:
            there = self._object_md5(message)
            if there is not None and there[0] == md5_file(path, cancel=cancel):
                return Handled(Effect.ALREADY_THERE, self._written(path, there), str(path))
        uploader = Uploader(
            cast(S3Client, _ConditionalClient(self._client, condition_for(message))),
            self._config,
            endpoint=self._endpoint,
        )
        try:
            result = uploader.upload(path, message.bucket, message.key, cancel=cancel)
        except UploadError as exc:
            if exc.code not in ("PreconditionFailed", "NoSuchKey", "ConditionalRequestConflict"):
                raise
            there = self._object_md5(message)
            if there is not None and there[0] == md5_file(path, cancel=cancel):
                return Handled(Effect.ALREADY_THERE, self._written(path, there), str(path))
            raise UploadError(CONFLICT, retryable=False, code="conflict") from None
        finally:
            uploader.close()
        written = Written(result.etag, result.md5, result.size, result.mtime_ns)
        return Handled(Effect.UPLOADED, written, str(path))

    def _readable(self, source: str) -> Path:
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
        return path

    def _object_md5(self, message: JobMessage) -> tuple[str, str, int] | None:
        """(MD5, ETag, size) of what is at the job's key now, or None when nothing is."""
        try:
            head = self._client.head_object(Bucket=message.bucket, Key=message.key)
        except bce.ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # 403: a worker without s3:ListBucket (deploy/queue.yaml grants none) is told
            # "forbidden" for a missing key; the conditional PUT decides instead.
            if status in (403, 404):
                return None
            raise translate_error(exc, bucket=message.bucket, endpoint=self._endpoint) from exc
        except bce.BotoCoreError as exc:
            raise translate_error(exc, bucket=message.bucket, endpoint=self._endpoint) from exc
        etag = clean_etag(head.get("ETag"))
        md5 = head.get("Metadata", {}).get(MD5_METADATA_KEY)
        if not md5 and "-" not in etag and self._config.sse != "aws:kms":
            md5 = etag
        if not md5:
            return None
        return md5.lower(), etag, int(head.get("ContentLength", 0))

    @staticmethod
    def _written(path: Path, there: tuple[str, str, int]) -> Written:
        md5, etag, size = there
        try:
            mtime_ns: int | None = path.stat().st_mtime_ns
        except OSError:
            mtime_ns = None
        return Written(etag=etag, md5=md5, size=size, mtime_ns=mtime_ns)
