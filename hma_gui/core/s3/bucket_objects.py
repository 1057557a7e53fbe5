"""Downloading and deleting objects the *Bucket* tab shows.

A download never overwrites a file: it reserves a free name in the chosen folder
(``report.csv``, then ``report (1).csv`` …) by creating it (0600, ``O_EXCL``),
streams the body into a hidden temporary file beside it while hashing it, and
only when the bytes are right moves them onto the reserved name. *Right* means
the MD5 of what arrived equals our ``x-amz-meta-md5`` (written by our uploader),
else the ETag when that is an MD5 (a single-part upload without SSE-KMS), and
the size equals the object's. A mismatch, a failure or a cancel removes both
files: nothing partial is left behind.

Deleting takes ``DeleteObjects`` 1,000 keys a call and reports each key S3
refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from hma_gui.core.app_dirs import PRIVATE_FILE_MODE
from hma_gui.core.errors import HmaError, IntegrityError
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.s3.bucket_listing import MD5_RE, explain, metadata_md5
from hma_gui.core.s3.client import S3Client

__all__ = ["DeleteResult", "Downloaded", "delete_keys", "download_object", "free_path"]

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
DELETE_BATCH = 1000  # DeleteObjects' most per call
MAX_NAME_TRIES = 10_000


@dataclass(frozen=True, slots=True)
class Downloaded:
    """One object on disk, and what its bytes were checked against."""

    key: str
    path: Path
    size: int
    md5: str
    checked_against: str  # "metadata MD5", "ETag" or "" (nothing to check against)

    @property
    def verified(self) -> bool:
        return bool(self.checked_against)


def local_name(key: str) -> str:
    """The file name a key downloads as: its last segment, safe on every system."""
    name = PurePosixPath(key).name or "object"
    cleaned = "".join("_" if ch in '<>:"\\|?*' or ord(ch) < 32 else ch for ch in name)
    return cleaned.strip(" .") or "object"


def free_path(folder: Path, name: str) -> Path:
    """Create and return a new empty file (0600) for `name` in `folder`, never an
    existing one: ``name``, ``name (1)``, ``name (2)`` … before the extension."""
    stem, suffix = Path(name).stem, Path(name).suffix
    for number in range(MAX_NAME_TRIES):
        candidate = folder / (name if number == 0 else f"{stem} ({number}){suffix}")
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise HmaError(f"no free file name for {name!r} in {folder}")


def download_object(
    client: S3Client,
    bucket: str,
    key: str,
    folder: Path,
    *,
    cancel: CancelToken | None = None,
    progress: ByteSink | None = None,
) -> Downloaded:
    """Download ``s3://bucket/key`` into `folder` as a new 0600 file, checked (see above).

    `progress` is told the size of each block written (a failed download takes them back).

    Raises `IntegrityError` when the bytes do not match (the file is removed),
    `UploadError`/`AuthError` for S3's refusals, `Cancelled` when cancelled.
    """
    target = free_path(folder, local_name(key))
    partial = folder / f".{target.name}.part-{uuid.uuid4().hex[:8]}"
    try:
        try:
            response = client.get_object(Bucket=bucket, Key=key)
        except Exception as exc:
            raise explain(exc, bucket, f"read s3://{bucket}/{key}", "s3:GetObject") from exc
        expected, against = _expected_md5(response)
        size = int(response.get("ContentLength", -1))
        digest = hashlib.md5(usedforsecurity=False)
        written = 0
        body = response["Body"]
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            try:
                for chunk in body.iter_chunks(CHUNK):
                    if cancel is not None:
                        cancel.raise_if_cancelled()
                    handle.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
            except HmaError:
                raise
            except Exception as exc:
                raise explain(exc, bucket, f"read s3://{bucket}/{key}", "s3:GetObject") from exc
            finally:
                body.close()
        md5 = digest.hexdigest()
        if size >= 0 and written != size:
            raise IntegrityError(
                f"s3://{bucket}/{key}: {written:,} bytes arrived, the object has {size:,}; "
                "the download was removed",
                retryable=True,
            )
        if expected and md5 != expected:
            raise IntegrityError(
                f"s3://{bucket}/{key} does not match its {against}: the bytes have MD5 {md5}, "
                f"the {against} says {expected}; the download was removed",
                retryable=False,
                code="md5-mismatch",
            )
        partial.replace(target)  # onto the name reserved above: ours, empty
    except BaseException:
        for leftover in (partial, target):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if progress is not None and written:
            progress(-written)
        raise
    logger.info("downloaded s3://%s/%s to %s (%s)", bucket, key, target, against or "unchecked")
    return Downloaded(key, target, written, md5, against)


def _expected_md5(response: Mapping[str, Any]) -> tuple[str | None, str]:
    stored = metadata_md5(response.get("Metadata"))
    if stored:
        return stored, "metadata MD5"
    etag = clean_etag(response.get("ETag"))
    kms = str(response.get("ServerSideEncryption") or "").startswith("aws:kms")
    if MD5_RE.match(etag) and not kms:  # a multipart or SSE-KMS ETag is no MD5
        return etag, "ETag"
    return None, ""


@dataclass
class DeleteResult:
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # key → S3's reason


def delete_keys(client: S3Client, bucket: str, keys: Sequence[str]) -> DeleteResult:
    """Delete `keys` from `bucket`, 1,000 a call; the keys S3 refused are in `failed`."""
    result = DeleteResult()
    for start in range(0, len(keys), DELETE_BATCH):
        batch = list(keys[start : start + DELETE_BATCH])
        try:
            response = client.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": False}
            )
        except Exception as exc:
            raise explain(
                exc, bucket, f"remove objects of s3://{bucket}", "s3:DeleteObject"
            ) from exc
        result.deleted += [str(item.get("Key")) for item in response.get("Deleted", [])]
        for error in response.get("Errors", []):
            reason = f"{error.get('Code', '')}: {error.get('Message', '')}".strip(": ")
            result.failed[str(error.get("Key"))] = reason
    logger.info(
        "deleted %d object(s) from s3://%s (%d refused)", len(result.deleted), bucket,
        len(result.failed),
    )  # fmt: skip
    return result
