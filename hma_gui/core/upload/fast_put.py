"""Small single PUTs through obstore (Rust ``object_store``): a third of botocore's client CPU.

botocore spends ~0.9 ms of Python per request building, signing and parsing it;
for a file of a few KiB that is most of the upload. `FastPut` sends the bytes of
a small file (up to `FAST_PUT_MAX`, held in memory already) with obstore's
``put`` instead, keeping what the botocore path guarantees:

* integrity checked by S3: ``x-amz-checksum-sha256`` (obstore's
  ``checksum_algorithm``) in place of ``Content-MD5``; our MD5 still goes into
  the metadata (``x-amz-meta-md5``) and is compared with the returned ETag;
* SSE per settings (``AES256``, or ``aws:kms`` with the key id);
* conditional writes: ``If-None-Match: *`` is ``mode="create"``, ``If-Match`` is
  ``mode={"e_tag": …}``; a refusal is judged as on the botocore path;
* retries with exponential backoff and jitter on 5xx, throttling and connection
  errors, as many requests as botocore's ``total_max_attempts``;
* the endpoint, region, credentials, timeouts and TLS verification of the
  uploader's client (`store_setup.StoreSetup`: read from botocore's client, or
  from the settings alone when the command line never builds one), so both
  paths talk to the same place as the same identity;
* failures become the same `UploadError` texts: obstore's error carries S3's
  status, code and message, which `translate_error` words as for botocore.

Where obstore cannot carry a setting the same way (`store_setup`), botocore
sends everything.

A `FastPut` keeps one `S3Store` (its connection pool) per bucket for all the
threads of its uploader; `close` (the uploader's) lets them go, so the uploaders
the window replaces on a settings change leave no connections behind.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from hma_gui.core.errors import ConfigError
from hma_gui.core.s3.store_setup import (
    StoreSetup,
    as_client_error,
    obstore_available,
    setup_of_client,
)
from hma_gui.core.upload.conditions import Expected
from hma_gui.core.upload.upload_config import FAST_PUT_MAX, MD5_METADATA_KEY, UploadConfig

logger = logging.getLogger(__name__)

__all__ = ["FAST_PUT_MAX", "FastPut", "as_client_error", "obstore_available"]


class FastPut:
    """obstore PUTs for one botocore client's endpoint, identity and settings. Thread-safe."""

    def __init__(self, client: Any, setup: StoreSetup, config: UploadConfig) -> None:
        self._client = client
        self._setup = setup
        self._config = config
        self._stores: dict[str, Any] = {}
        self._stores_lock = threading.Lock()
        self.max_size = config.fast_put_max

    @property
    def setup(self) -> StoreSetup:
        """Where and as whom it sends (`stream_put.StreamPut` sends larger bodies alike)."""
        return self._setup

    @property
    def client(self) -> Any:
        """The botocore client (or `LazyS3Client`) the setup belongs to."""
        return self._client

    @classmethod
    def for_client(cls, client: Any, config: UploadConfig) -> FastPut | None:
        """The fast path for `client`, or None where botocore must carry the bytes."""
        if config.transfer == "botocore" or config.fast_put_max <= 0:
            return None
        if not obstore_available():
            if config.transfer == "obstore":
                raise ConfigError("HMA_TRANSFER=obstore but the obstore package is not installed")
            return None
        # A client that knows its setup (`lazy_client.LazyS3Client`) is not built for it.
        setup = getattr(client, "store_setup", None)
        why_not = None
        if not isinstance(setup, StoreSetup):
            setup, why_not = setup_of_client(client)
        if setup is None:
            log = logger.warning if config.transfer == "obstore" else logger.debug
            log("small files go through botocore: %s", why_not)
            return None
        return cls(client, setup, config)

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        md5_hex: str,
        expected: Expected | None,
    ) -> dict[str, Any]:
        """PUT `data`; botocore's response shape (``ETag``, ``ServerSideEncryption``).

        Raises botocore's `ClientError` for S3's refusals (so callers judge them
        as before) and `UploadError` for connection failures.
        """
        import obstore

        mode: Any = None
        if expected is not None:
            mode = "create" if expected.etag is None else {"e_tag": f'"{expected.etag}"'}
        attributes: Any = {"Content-Type": content_type, MD5_METADATA_KEY: md5_hex}
        try:
            result = obstore.put(
                self._store(bucket), key, data, attributes=attributes, mode=mode,
                use_multipart=False,
            )  # fmt: skip
        except (obstore.exceptions.BaseError, FileNotFoundError) as exc:  # 404: a builtin's
            error = as_client_error(exc, self._setup.endpoint)
            self._setup.name_source(error, self._client)
            raise error from exc
        sse = None if self._config.sse == "none" else self._config.sse
        return {"ETag": result.get("e_tag"), "ServerSideEncryption": sse}

    def close(self) -> None:
        """Drop the stores: their idle connections close (a PUT in flight keeps its own)."""
        with self._stores_lock:
            self._stores.clear()

    def _store(self, bucket: str) -> Any:
        with self._stores_lock:
            store = self._stores.get(bucket)
            if store is None:
                store = self._stores[bucket] = self._new_store(bucket)
        return store

    def _new_store(self, bucket: str) -> Any:
        extra: dict[str, Any] = {}
        if self._config.sse != "none":
            extra["server_side_encryption"] = self._config.sse
            if self._config.sse == "aws:kms" and self._config.sse_kms_key_id:
                extra["sse_kms_key_id"] = self._config.sse_kms_key_id
        return self._setup.store(
            bucket,
            checksum_algorithm="sha256",  # S3 verifies the body: x-amz-checksum-sha256
            unsigned_payload=True,  # as botocore: the checksum header carries integrity
            **extra,
        )
