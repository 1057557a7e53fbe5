"""What is in S3 under a prefix: listed once (ListObjectsV2, 1,000 keys a call;
a big prefix by several requests at once, folder by folder: `parallel_listing`).

`S3Inventory` lists each (bucket, prefix) at most once however many files ask
about it, and HEADs an object only when asked (the S3 check asks for the few
whose listing alone cannot settle a comparison). It counts both kinds of
request, so a report can say what the check cost.
"""

from __future__ import annotations

import logging
import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hma_gui.core.errors import HmaError, UploadError
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.s3.client import S3Client, translate_error
from hma_gui.core.s3.parallel_listing import WORKERS as LIST_WORKERS
from hma_gui.core.s3.parallel_listing import list_prefix
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY

logger = logging.getLogger(__name__)

_MD5_RE = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class S3Object:
    """One object as the listing shows it."""

    bucket: str
    key: str
    size: int
    etag: str  # without quotes, lower case
    last_modified: datetime | None = None
    storage_class: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def is_multipart(self) -> bool:
        """Multipart ETags end in ``-<parts>`` and are not the MD5 of the object."""
        return "-" in self.etag

    @property
    def part_count(self) -> int | None:
        if not self.is_multipart:
            return None
        try:
            return int(self.etag.rsplit("-", 1)[1])
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class ObjectHead:
    """What a HEAD adds to the listing: the metadata MD5 and the encryption."""

    md5: str | None  # x-amz-meta-md5, as the uploader stores it
    sse: str | None  # "AES256", "aws:kms", "aws:kms:dsse" or None
    exists: bool = True

    @property
    def kms(self) -> bool:
        """SSE-KMS (and DSSE-KMS) ETags are not MD5s of the content."""
        return bool(self.sse and self.sse.startswith("aws:kms"))


@dataclass
class PrefixListing:
    bucket: str
    prefix: str
    by_key: dict[str, S3Object] = field(default_factory=dict)
    by_size: dict[int, list[S3Object]] = field(default_factory=dict)
    calls: int = 0

    def add(self, obj: S3Object) -> None:
        self.by_key[obj.key] = obj
        self.by_size.setdefault(obj.size, []).append(obj)

    def put(self, obj: S3Object) -> None:
        """`obj` written at its key since the listing: it replaces what was there."""
        old = self.by_key.get(obj.key)
        if old is not None:
            same_size = self.by_size.get(old.size, [])
            same_size[:] = [o for o in same_size if o.key != obj.key]
            if not same_size:
                self.by_size.pop(old.size, None)
        self.add(obj)

    def __len__(self) -> int:
        return len(self.by_key)


@dataclass(frozen=True, slots=True)
class RequestCounts:
    list_calls: int
    head_calls: int


class S3Inventory:
    """Listings and HEADs through one client, each fetched once. Thread-safe."""

    def __init__(
        self, client: S3Client, *, page_size: int = 1000, workers: int = LIST_WORKERS
    ) -> None:
        self._client = client
        self._page_size = page_size
        self._workers = workers  # requests at once on a big prefix (`parallel_listing`)
        self._lock = threading.Lock()
        self._listings: dict[tuple[str, str], PrefixListing] = {}
        self._heads: dict[tuple[str, str], ObjectHead] = {}
        self._flights: dict[tuple[str, str], Future[PrefixListing]] = {}  # being listed now
        self._list_calls = 0
        self._head_calls = 0

    @property
    def requests(self) -> RequestCounts:
        with self._lock:
            return RequestCounts(self._list_calls, self._head_calls)

    def forget(self) -> None:
        """Drop what was listed and HEADed: the next question lists again."""
        with self._lock:
            self._listings.clear()
            self._heads.clear()

    def note_put(self, obj: S3Object) -> None:
        """An object written since it was listed (our own upload): the listings show it.

        Lets a caller that keeps an inventory (the watcher) stay correct about
        what it uploaded itself without listing again; a HEAD remembered for the
        key is dropped.
        """
        with self._lock:
            for (bucket, prefix), listing in self._listings.items():
                if bucket == obj.bucket and obj.key.startswith(prefix):
                    listing.put(obj)
            self._heads.pop((obj.bucket, obj.key), None)

    def listings(self) -> list[PrefixListing]:
        with self._lock:
            return list(self._listings.values())

    def prefetch(self, bucket: str, prefix: str) -> None:
        """Start listing `prefix` now, in the background, for a `listing` call to come.

        The command line starts it before it plans the upload, so the listing's
        round trips overlap the walk of the local folders. A failure is kept for
        nobody: the `listing` call that waits for it gets the error, a later one
        lists again.
        """
        thread = threading.Thread(
            target=self._prefetched, args=(bucket, prefix), name="s3-prefetch", daemon=True
        )
        thread.start()

    def _prefetched(self, bucket: str, prefix: str) -> None:
        try:
            self.listing(bucket, prefix)
        except Exception as exc:  # noqa: BLE001 - the caller that waited for it has it
            logger.debug("prefetched listing of s3://%s/%s failed: %s", bucket, prefix, exc)

    def listing(self, bucket: str, prefix: str) -> PrefixListing:
        """Every object under `prefix` in `bucket`; listed on first use, then remembered.

        Callers asking at the same time (a prefetch, the check) wait for one listing.
        """
        where = (bucket, prefix)
        with self._lock:
            known = self._listings.get(where)
            if known is not None:
                return known
            flight = self._flights.get(where)
            mine = flight is None
            if flight is None:
                flight = self._flights[where] = Future()
        if not mine:
            return flight.result()
        try:
            listing = self._list(bucket, prefix)
        except BaseException as exc:
            with self._lock:
                del self._flights[where]
            flight.set_exception(exc)
            raise
        with self._lock:
            self._listings[where] = listing
            del self._flights[where]
        flight.set_result(listing)
        return listing

    def _list(self, bucket: str, prefix: str) -> PrefixListing:
        listing = PrefixListing(bucket, prefix)
        count = threading.Lock()

        def list_page(**kwargs: Any) -> dict[str, Any]:
            with count:
                listing.calls += 1
            return self._client.list_objects_v2(**kwargs)  # type: ignore[return-value]

        try:
            items = list_prefix(
                list_page, bucket, prefix, page_size=self._page_size, workers=self._workers
            )
            for item in items:
                listing.add(
                    S3Object(
                        bucket=bucket,
                        key=item["Key"],
                        size=int(item.get("Size", 0)),
                        etag=clean_etag(item.get("ETag")),
                        last_modified=item.get("LastModified"),
                        storage_class=item.get("StorageClass"),
                    )
                )
        except HmaError:
            raise
        except Exception as exc:
            raise self._explained(
                exc, bucket, f"list s3://{bucket}/{prefix}", "s3:ListBucket"
            ) from exc
        finally:
            with self._lock:
                self._list_calls += listing.calls
        logger.info(
            "listed s3://%s/%s: %d objects in %d calls", bucket, prefix, len(listing), listing.calls
        )
        return listing

    def _explained(
        self, exc: BaseException, bucket: str, action: str, permission: str
    ) -> UploadError:
        """`translate_error`, except that a denied check says which permission it needs."""
        endpoint = getattr(getattr(self._client, "meta", None), "endpoint_url", None)
        error = translate_error(exc, bucket=bucket, endpoint=endpoint)
        if error.code in ("AccessDenied", "403"):
            return UploadError(
                f"access denied: the duplicate check may not {action} (it needs {permission})",
                retryable=False,
                code=error.code,
            )
        return error

    def known_head(self, obj: S3Object) -> ObjectHead | None:
        with self._lock:
            return self._heads.get((obj.bucket, obj.key))

    def head(self, obj: S3Object) -> ObjectHead:
        """The object's metadata MD5 and encryption (one HEAD, remembered)."""
        known = self.known_head(obj)
        if known is not None:
            return known
        with self._lock:
            self._head_calls += 1
        try:
            response = self._client.head_object(Bucket=obj.bucket, Key=obj.key)
        except Exception as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("404", "NoSuchKey", "NotFound"):
                head = ObjectHead(md5=None, sse=None, exists=False)  # deleted since the listing
            else:
                raise self._explained(exc, obj.bucket, f"read {obj.uri}", "s3:GetObject") from exc
        else:
            metadata = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
            stored = clean_etag(metadata.get(MD5_METADATA_KEY))
            md5 = stored if _MD5_RE.match(stored) else None  # absent, or not an MD5 at all
            head = ObjectHead(md5=md5, sse=response.get("ServerSideEncryption"))
        with self._lock:
            self._heads[(obj.bucket, obj.key)] = head
        return head
