"""Conditional writes: an upload never silently replaces what another upload wrote.

A key the duplicate check found free is written with ``If-None-Match: *``; a
decided overwrite with ``If-Match: <the ETag that was seen>`` (for multipart
uploads, on CompleteMultipartUpload). When S3 refuses the write (412, or 404 for
an ``If-Match`` on a key deleted meanwhile, or 409 for a concurrent conditional
write), `judge_refusal` looks at the object now at the key: the same content
(our MD5 in its metadata, or a single-part ETag equal to it) counts as already
uploaded — that is also what a retried PUT whose first answer was lost sees —
anything else is a `ConflictError`.

`stored_object` is the one HEAD that says what is at a key (the content's MD5 when
it can be known); the refusal's judge, a redelivered queue job's check
(`queue.upload_job`) and a job tried before (`Uploader.upload`'s
``earlier_attempt``) all ask it.

The precondition travels with a job as one text (`Expected.stored` /
`Expected.from_stored`): ``*`` for "must not exist" (HTTP's own spelling) or the
ETag that must still be there; none for an unconditional write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import botocore.exceptions as bce

from hma_gui.core.errors import UploadError
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.jobs.records import EXPECT_ABSENT as ABSENT_MARK
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY

CONFLICT_CODE = "conflict"
# The answers of a write whose precondition did not hold.
_REFUSALS = {"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey", "404", "412"}


@dataclass(frozen=True, slots=True)
class Expected:
    """What must be at the key for a write to go ahead: nothing (`etag` None) or `etag`."""

    etag: str | None = None

    @classmethod
    def from_stored(cls, text: str | None) -> Expected | None:
        if not text:
            return None
        return ABSENT if text == ABSENT_MARK else cls(clean_etag(text))

    @property
    def stored(self) -> str:
        return self.etag or ABSENT_MARK

    def request_args(self) -> dict[str, str]:
        """The PutObject / CompleteMultipartUpload parameters of this precondition."""
        if self.etag is None:
            return {"IfNoneMatch": "*"}
        return {"IfMatch": f'"{self.etag}"'}

    def describe(self) -> str:
        return "the key was free" if self.etag is None else f"the object had ETag {self.etag}"


ABSENT = Expected()


class ConflictError(UploadError):
    """Another upload (or a deletion) changed the key between our check and our write."""

    def __init__(self, uri: str, expected: Expected, now: str) -> None:
        super().__init__(
            f"conflict: another upload wrote this key meanwhile ({uri}: when checked, "
            f"{expected.describe()}; now {now}); check for duplicates again and decide",
            retryable=False,
            code=CONFLICT_CODE,
        )


def is_refusal(exc: BaseException) -> bool:
    """True for S3's answer to a write whose precondition failed."""
    if not isinstance(exc, bce.ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return code in _REFUSALS or status in (409, 412)


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a HEAD says is at a key."""

    md5: str | None  # the content's MD5 when it can be known: our metadata, or a plain ETag
    etag: str
    size: int
    sse: str | None


def stored_object(
    client: Any, bucket: str, key: str, *, kms: bool = False, forbidden_is_missing: bool = False
) -> StoredObject | None:
    """The object at ``s3://bucket/key`` (one HEAD), or None when there is none (404).

    `kms`: objects are written with SSE-KMS, whose single-part ETags are no MD5s.
    `forbidden_is_missing`: a 403 counts as "none" too (S3 answers 403 for a missing
    key to whoever may not list the bucket). Other refusals raise botocore's error.
    """
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except bce.ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = exc.response.get("Error", {}).get("Code")
        if status == 404 or code in ("404", "NoSuchKey", "NotFound"):
            return None
        if forbidden_is_missing and status == 403:
            return None
        raise
    etag = clean_etag(head.get("ETag"))
    md5 = str(head.get("Metadata", {}).get(MD5_METADATA_KEY, "")).lower() or None
    if md5 is None and "-" not in etag and not kms:
        md5 = etag
    size = int(head.get("ContentLength", 0))
    return StoredObject(md5, etag, size, head.get("ServerSideEncryption"))


def judge_refusal(
    client: Any, bucket: str, key: str, expected: Expected, md5_hex: str
) -> tuple[str, str | None]:
    """After a refused conditional write: ``(etag, sse)`` when the key holds our bytes.

    Raises `ConflictError` when it holds anything else (or nothing).
    """
    uri = f"s3://{bucket}/{key}"
    there = stored_object(client, bucket, key)
    if there is None:
        raise ConflictError(uri, expected, "it was deleted")
    if there.md5 == md5_hex:
        return there.etag, there.sse
    raise ConflictError(uri, expected, f"it holds other content (ETag {there.etag})")
