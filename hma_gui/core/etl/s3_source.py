"""The ETL's S3 side: list the CSV objects, stream one object without holding it.

`list_sources` lists ``<mba prefix>csv/`` once (ListObjectsV2 pages of 1,000)
and returns every ``.csv`` object with its size and ETag. `ObjectStream` is a
raw binary stream over one object's body: it reads in pieces, counts bytes for
progress, pins the version it started with (``IfMatch`` on the ETag) and, when
the connection breaks mid-object, resumes from the byte it had reached with a
ranged GET instead of starting over.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import botocore.exceptions as bce
from urllib3.exceptions import HTTPError as Urllib3Error

from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.s3.client import S3Client, translate_error

logger = logging.getLogger(__name__)

RESUME_ATTEMPTS = 3
_STREAM_ERRORS = (bce.BotoCoreError, Urllib3Error, ConnectionError, TimeoutError)


@dataclass(frozen=True, slots=True)
class SourceObject:
    """One CSV object in S3."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None = None

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def list_sources(client: S3Client, bucket: str, prefix: str) -> list[SourceObject]:
    """Every ``*.csv`` object directly or indirectly under `prefix`, sorted by key."""
    found: list[SourceObject] = []
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                if key.lower().endswith(".csv"):
                    found.append(
                        SourceObject(bucket, key, int(item["Size"]), clean_etag(item["ETag"]))
                    )
    except Exception as exc:
        raise translate_error(exc, bucket=bucket) from exc
    return sorted(found, key=lambda o: o.key)


class ObjectStream(io.RawIOBase):
    """A readable raw stream over one S3 object (wrap it in `io.BufferedReader`)."""

    def __init__(
        self,
        client: S3Client,
        source: SourceObject,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__()
        self._client = client
        self._source = source
        self._on_bytes = on_bytes
        self._body: Any = None
        self.position = 0
        self.etag: str = source.etag
        self.version_id: str | None = source.version_id

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        for attempt in range(RESUME_ATTEMPTS + 1):
            try:
                if self._body is None:
                    self._open()
                data = self._body.read(len(view))
                break
            except _STREAM_ERRORS as exc:
                self._drop_body()
                if attempt == RESUME_ATTEMPTS:
                    raise translate_error(exc, bucket=self._source.bucket) from exc
                logger.warning(
                    "reading %s broke at byte %d (%s); resuming",
                    self._source.uri,
                    self.position,
                    exc,
                )
        count = len(data)
        view[:count] = data
        self.position += count
        if self._on_bytes is not None and count:
            self._on_bytes(count)
        return count

    def _open(self) -> None:
        args: dict[str, Any] = {"Bucket": self._source.bucket, "Key": self._source.key}
        if self.version_id:
            args["VersionId"] = self.version_id
        elif self.etag:
            args["IfMatch"] = f'"{self.etag}"'
        if self.position:
            args["Range"] = f"bytes={self.position}-"
        try:
            response = self._client.get_object(**args)
        except bce.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("PreconditionFailed", "412"):
                raise ObjectChanged(
                    f"{self._source.uri} changed while it was being loaded; run the ETL again"
                ) from exc
            raise translate_error(exc, bucket=self._source.bucket) from exc
        if not self.position:
            self.etag = clean_etag(response.get("ETag", self.etag))
            version = response.get("VersionId")
            if version and version != "null":
                self.version_id = version
        self._body = response["Body"]

    def _drop_body(self) -> None:
        body, self._body = self._body, None
        if body is not None:
            try:
                body.close()
            except Exception:
                logger.debug("closing a broken S3 body failed", exc_info=True)

    def close(self) -> None:
        self._drop_body()
        super().close()


class ObjectChanged(Exception):
    """The object was replaced while it was being read."""
