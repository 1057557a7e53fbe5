"""botocore's S3 client, built on first use; listings and small PUTs through obstore without it.

Building botocore's client costs 0.15–0.3 s of CPU (importing botocore, loading the S3
model, resolving credentials): most of a small upload's start-up. When the
settings alone say how to reach S3 (`store_setup.setup_of_settings`), the
command line hands out a `LazyS3Client` instead:

* ``list_objects_v2`` (the duplicate check's one listing per prefix) is answered
  through obstore, in botocore's response shape; the small-file PUTs go through
  obstore too (`fast_put.FastPut` reads `store_setup`), the larger single PUTs
  through `stream_put.StreamPut` (the same setup);
* every other attribute builds the real client once and is its own (HEAD,
  multipart, the control plane): callers see a botocore client either way.

The listing goes to botocore instead wherever obstore would not show the keys as
they are: a prefix that does not end in ``/`` (obstore lists whole path
segments), or a page that holds a zero-byte object (obstore shows the folder
marker ``a/b/`` as ``a/b``) or a key it cannot parse (``a//b``, ``./``, control
characters). The continuation token of an obstore page is the last key it
showed, marked, so a later page can continue in botocore (as ``StartAfter``).
Not detectable: a non-empty object whose key ends in ``/`` is shown without it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hma_gui.core.s3.client import is_wrong_region
from hma_gui.core.s3.store_setup import (
    StoreSetup,
    as_client_error,
    obstore_available,
    setup_of_settings,
)

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["LazyS3Client"]

_AFTER = "hma-after:"  # our continuation tokens: "start after this key"
_LIST_ARGS = frozenset({"Bucket", "Prefix", "MaxKeys", "ContinuationToken", "StartAfter"})
_OWN = frozenset({"_build", "_client", "_lock", "_stores", "_redirected", "store_setup"})


class LazyS3Client:
    """A botocore S3 client in all but its start-up. Thread-safe."""

    @classmethod
    def for_settings(cls, settings: Settings, build: Callable[[], Any]) -> Any:
        """A lazy client where the settings alone reach S3 through obstore, else `build()`."""
        setup = None
        if settings.transfer != "botocore" and obstore_available():
            setup, why_not = setup_of_settings(settings)
            if setup is None:
                logger.debug("botocore's client is built at start: %s", why_not)
        return build() if setup is None else cls(build, setup)

    def __init__(self, build: Callable[[], Any], setup: StoreSetup) -> None:
        self.store_setup = setup
        self._build = build
        self._client: Any = None
        self._lock = threading.Lock()
        self._stores: dict[str, Any] = {}
        self._redirected: set[str] = set()  # buckets in another region: botocore follows S3

    @property
    def built(self) -> bool:
        """Whether botocore's client exists (tests; the start-up it costs was paid)."""
        return self._client is not None

    def real(self) -> Any:
        """botocore's client, built on the first call."""
        with self._lock:
            if self._client is None:
                self._client = self._build()
            return self._client

    def __getattr__(self, name: str) -> Any:  # only for what this class does not define
        if name.startswith("__") or name in _OWN:  # not set yet (copy, unpickling)
            raise AttributeError(name)
        return getattr(self.real(), name)

    def list_objects_v2(self, **kwargs: Any) -> dict[str, Any]:
        page = self._obstore_page(kwargs)
        if page is not None:
            return page
        token = kwargs.get("ContinuationToken")
        if isinstance(token, str) and token.startswith(_AFTER):  # an obstore page came first
            kwargs = {k: v for k, v in kwargs.items() if k != "ContinuationToken"}
            kwargs["StartAfter"] = token[len(_AFTER) :]
        return self.real().list_objects_v2(**kwargs)  # type: ignore[no-any-return]

    def _obstore_page(self, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """One page through obstore, or None where botocore must list (see the module)."""
        prefix = str(kwargs.get("Prefix") or "")
        token = kwargs.get("ContinuationToken")
        if set(kwargs) - _LIST_ARGS or (prefix and not prefix.endswith("/")):
            return None
        if token is not None and not str(token).startswith(_AFTER):
            return None  # botocore's own token: it goes on
        if kwargs["Bucket"] in self._redirected:
            return None
        import obstore

        after = str(token)[len(_AFTER) :] if token else kwargs.get("StartAfter")
        max_keys = max(1, int(kwargs.get("MaxKeys", 1000)))
        try:
            stream = obstore.list(
                self._store(kwargs["Bucket"]), prefix or None, offset=after or None,
                chunk_size=max_keys,
            )  # fmt: skip
            chunk = next(iter(stream), [])
        except obstore.exceptions.InvalidPathError as exc:
            logger.debug("botocore lists s3://%s/%s: %s", kwargs["Bucket"], prefix, exc)
            return None
        except obstore.exceptions.BaseError as exc:
            error = as_client_error(exc, self.store_setup.endpoint, "ListObjectsV2")
            if is_wrong_region(error):  # botocore asks again in the bucket's region
                logger.info(
                    "s3://%s is not in the settings' region: botocore lists", kwargs["Bucket"]
                )
                self._redirected.add(kwargs["Bucket"])
                return None
            self.store_setup.name_source(error)
            raise error from exc
        if any(meta["size"] == 0 for meta in chunk):
            return None  # maybe a folder marker, which obstore shows without its "/"
        page: dict[str, Any] = {
            "Contents": [
                {
                    "Key": meta["path"],
                    "Size": meta["size"],
                    "ETag": meta.get("e_tag") or "",
                    "LastModified": meta["last_modified"],
                }
                for meta in chunk
            ],
            "KeyCount": len(chunk),
            "IsTruncated": len(chunk) == max_keys,
        }
        if page["IsTruncated"]:
            page["NextContinuationToken"] = _AFTER + chunk[-1]["path"]
        return page

    def _store(self, bucket: str) -> Any:
        with self._lock:
            store = self._stores.get(bucket)
            if store is None:
                store = self._stores[bucket] = self.store_setup.store(bucket)
            return store
