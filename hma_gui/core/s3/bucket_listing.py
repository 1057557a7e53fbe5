"""What is in a scope's bucket: paged listings, a name filter, lazy HEADs, local sources.

The *Bucket* tab (and anything else that browses) asks for one page at a time:
`BucketLister.fetch` lists ``ListObjectsV2`` 1,000 keys a call below the scope's
prefix and returns up to `want` matching objects with a cursor (the last key
looked at) to continue from. The filter (`NameFilter`) narrows the listing on
the server where it can: a filter with a ``/`` names a folder below the scope's
prefix (``csv/2024/``) that becomes part of the listed prefix; what follows the
last ``/`` (or the whole filter without one) is matched case-insensitively
anywhere in the key below that prefix, on this side.

A HEAD adds what a listing lacks (the encryption and our ``x-amz-meta-md5``);
`HeadCache` fetches it only for the objects asked about (the rows on screen),
once. `local_sources` names, from the job store's ledger of uploads, the file
this desktop uploaded to each key.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hma_gui.core.errors import AuthError, UploadError
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.jobs.records import UploadedRecord
from hma_gui.core.s3.client import S3Client, translate_error
from hma_gui.core.s3.credential_source import SETTINGS_HINT
from hma_gui.core.s3.inventory import ObjectHead, S3Object
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY

__all__ = [
    "BucketLister",
    "HeadCache",
    "ListingPage",
    "NameFilter",
    "ObjectHead",
    "S3Object",
    "explain",
    "head_object",
    "local_sources",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000  # ListObjectsV2's most per call
MAX_CALLS_PER_FETCH = 20  # a narrow filter scans at most 20,000 keys before answering
MD5_RE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class NameFilter:
    """A filter typed by a person, split into its server part and its local part."""

    folder: str = ""  # below the scope prefix, ends with "/" (listed on the server)
    needle: str = ""  # lower case; matched anywhere in the key below the folder

    @classmethod
    def parse(cls, text: str) -> NameFilter:
        text = text.strip().replace("\\", "/").lstrip("/")
        folder, _, needle = text.rpartition("/")
        return cls(f"{folder}/" if folder else "", needle.lower())

    def list_prefix(self, scope_prefix: str) -> str:
        return scope_prefix + self.folder

    def matches(self, key: str, list_prefix: str) -> bool:
        return not self.needle or self.needle in key[len(list_prefix) :].lower()


@dataclass
class ListingPage:
    """One fetch: the matching objects, where to go on from, and what it cost."""

    objects: list[S3Object] = field(default_factory=list)
    cursor: str | None = None  # the last key looked at; None when the listing is complete
    scanned: int = 0  # keys looked at (matching or not)
    calls: int = 0

    @property
    def complete(self) -> bool:
        return self.cursor is None


class BucketLister:
    """Pages through one bucket's listing. Thread-safe (botocore clients are)."""

    def __init__(self, client: S3Client, *, page_size: int = PAGE_SIZE) -> None:
        self._client = client
        self._page_size = page_size

    def fetch(
        self,
        bucket: str,
        scope_prefix: str,
        name_filter: NameFilter = NameFilter(),
        *,
        after: str | None = None,
        want: int = PAGE_SIZE,
        max_calls: int = MAX_CALLS_PER_FETCH,
    ) -> ListingPage:
        """Up to `want` matching objects after the key `after` (None: from the start).

        Stops after `max_calls` list calls even with fewer matches (a narrow filter
        over a large bucket answers in steps); `cursor` continues from there.
        """
        prefix = name_filter.list_prefix(scope_prefix)
        page = ListingPage(cursor=after)
        try:
            while page.calls < max_calls and len(page.objects) < want:
                kwargs: dict[str, object] = {
                    "Bucket": bucket, "Prefix": prefix, "MaxKeys": self._page_size,
                }  # fmt: skip
                if page.cursor:
                    kwargs["StartAfter"] = page.cursor
                response = self._client.list_objects_v2(**kwargs)  # type: ignore[arg-type]
                page.calls += 1
                contents = response.get("Contents", [])
                stopped_early = False
                for item in contents:
                    page.scanned += 1
                    page.cursor = item["Key"]
                    if name_filter.matches(item["Key"], prefix):
                        page.objects.append(_object(bucket, item))
                        if len(page.objects) >= want:
                            stopped_early = item is not contents[-1]
                            break
                if not stopped_early and (not response.get("IsTruncated") or not contents):
                    page.cursor = None  # the end of the listing
                    break
        except Exception as exc:
            raise explain(exc, bucket, f"list s3://{bucket}/{prefix}", "s3:ListBucket") from exc
        logger.debug(
            "listed s3://%s/%s after %r: %d of %d keys in %d calls",
            bucket, prefix, after, len(page.objects), page.scanned, page.calls,
        )  # fmt: skip
        return page


def _object(bucket: str, item: Mapping[str, Any]) -> S3Object:
    return S3Object(
        bucket=bucket,
        key=str(item["Key"]),
        size=int(item.get("Size", 0)),
        etag=clean_etag(item.get("ETag")),
        last_modified=_utc(item.get("LastModified")),
        storage_class=item.get("StorageClass"),
    )


def _utc(when: datetime | None) -> datetime | None:
    """The same instant in UTC. botocore gives each timestamp its own ``tzlocal()``: one
    more object per row for the garbage collector to walk, while `UTC` is one."""
    return when.astimezone(UTC) if when is not None else None


def explain(exc: BaseException, bucket: str, action: str, permission: str) -> UploadError:
    """`translate_error`, with a refusal saying what was refused, what it needs and what
    to do about the credentials (the hint the rest of the app gives)."""
    error = translate_error(exc, bucket=bucket)
    if error.code in ("AccessDenied", "403"):
        return AuthError(
            f"access denied: your AWS identity may not {action} (it needs {permission}); "
            f"ask for that permission or {SETTINGS_HINT}",
            code=error.code,
        )
    return error


def head_object(client: S3Client, bucket: str, key: str) -> ObjectHead:
    """The object's metadata MD5 and encryption (one HEAD); `exists` False when gone."""
    try:
        response = client.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code in ("404", "NoSuchKey", "NotFound"):
            return ObjectHead(md5=None, sse=None, exists=False)  # deleted since the listing
        raise explain(exc, bucket, f"read s3://{bucket}/{key}", "s3:GetObject") from exc
    return ObjectHead(
        md5=metadata_md5(response.get("Metadata")), sse=response.get("ServerSideEncryption")
    )


def metadata_md5(metadata: dict[str, str] | None) -> str | None:
    """Our ``x-amz-meta-md5`` from an object's metadata; None when absent or not an MD5."""
    lowered = {k.lower(): v for k, v in (metadata or {}).items()}
    stored = clean_etag(lowered.get(MD5_METADATA_KEY))
    return stored if MD5_RE.match(stored) else None


class HeadCache:
    """HEADs fetched once per (bucket, key) and remembered. Thread-safe."""

    def __init__(self, client: S3Client) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._heads: dict[tuple[str, str], ObjectHead] = {}
        self.calls = 0

    def known(self, bucket: str, key: str) -> ObjectHead | None:
        with self._lock:
            return self._heads.get((bucket, key))

    def get(self, bucket: str, key: str) -> ObjectHead:
        known = self.known(bucket, key)
        if known is not None:
            return known
        head = head_object(self.client, bucket, key)
        with self._lock:
            self.calls += 1
            self._heads[(bucket, key)] = head
        return head

    def get_many(self, bucket: str, keys: Iterable[str]) -> dict[str, ObjectHead]:
        return {key: self.get(bucket, key) for key in keys}

    def forget(self, bucket: str, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._heads.pop((bucket, key), None)


class UploadLedger(Protocol):
    """The job store's ledger of uploads (`JobStore.uploaded_record`)."""

    def uploaded_record(self, bucket: str, key: str) -> UploadedRecord | None: ...


def local_sources(store: UploadLedger, bucket: str, keys: Iterable[str]) -> dict[str, str]:
    """Key → the local file this desktop uploaded there (the job store's ledger)."""
    found: dict[str, str] = {}
    for key in keys:
        record = store.uploaded_record(bucket, key)
        if record is not None:
            found[key] = record.source
    return found
