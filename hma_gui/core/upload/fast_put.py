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
* the endpoint, region, credentials (refreshed as botocore refreshes them),
  timeouts and TLS verification are read from the botocore client, so both
  paths talk to the same place as the same identity (botocore's CA bundle is
  added to obstore's trusted roots); plain HTTP only to a loopback endpoint
  (the sandbox);
* failures become the same `UploadError` texts: obstore's error carries S3's
  status, code and message, which `translate_error` words as for botocore.

Where obstore cannot carry a setting the same way, `FastPut.for_client` returns
None and botocore sends everything: TLS verification off, a proxy configured
in botocore, plain HTTP to a non-loopback endpoint, an AWS
endpoint other than the regional S3 one, no credentials.

A `FastPut` keeps one `S3Store` (its connection pool) per bucket for all the
threads of its uploader; `close` (the uploader's) lets them go, so the uploaders
the window replaces on a settings change leave no connections behind.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import botocore.exceptions as bce

from hma_gui.core.errors import ConfigError, UploadError
from hma_gui.core.upload.conditions import Expected
from hma_gui.core.upload.upload_config import FAST_PUT_MAX, MD5_METADATA_KEY, UploadConfig

if TYPE_CHECKING:
    from obstore.store import S3Credential

logger = logging.getLogger(__name__)

__all__ = ["FAST_PUT_MAX", "FastPut", "as_client_error", "obstore_available"]

# obstore asks for credentials again when they expire within 5 minutes; promise 15.
_CREDENTIAL_TTL = timedelta(minutes=15)

_STATUS = re.compile(r"non-2xx status code: (\d{3})")
_CODE = re.compile(r"<Code>([^<]*)</Code>")
_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")
_RETRIES = re.compile(r"after (\d+) retries")
_URL = re.compile(r"https?://\S+")
# The innermost cause obstore's debug text names for a failed connection.
_CAUSES = (
    ("Connection refused", "connection refused"),
    ("Connection reset", "connection reset by peer"),
    ("connection closed", "connection closed"),
    ("timed out", "timed out"),
    ("dns error", "host name not found"),
    ("certificate", "TLS certificate problem"),
)


def obstore_available() -> bool:
    try:
        import obstore  # noqa: F401
    except ImportError:
        return False
    return True


class FastPut:
    """obstore PUTs for one botocore client's endpoint, identity and settings. Thread-safe."""

    def __init__(
        self, client: Any, options: dict[str, Any], credentials: Any, config: UploadConfig
    ) -> None:
        self._client = client
        self._options = options
        self._credentials = credentials
        self._config = config
        self._stores: dict[str, Any] = {}
        self._stores_lock = threading.Lock()
        self.max_size = config.fast_put_max

    @classmethod
    def for_client(cls, client: Any, config: UploadConfig) -> FastPut | None:
        """The fast path for `client`, or None where botocore must carry the bytes."""
        if config.transfer == "botocore" or config.fast_put_max <= 0:
            return None
        if not obstore_available():
            if config.transfer == "obstore":
                raise ConfigError("HMA_TRANSFER=obstore but the obstore package is not installed")
            return None
        options, why_not = _options_of(client)
        credentials = _credentials_of(client)
        if credentials is None:
            why_not = why_not or "the client has no credentials"
        if why_not:
            log = logger.warning if config.transfer == "obstore" else logger.debug
            log("small files go through botocore: %s", why_not)
            return None
        return cls(client, options, credentials, config)

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
        except obstore.exceptions.BaseError as exc:
            error = as_client_error(exc, self._options.get("endpoint"))
            if isinstance(error, bce.ClientError):
                # botocore's after-call handlers (the credential source of a refusal) see it too
                self._client.meta.events.emit(
                    "after-call.s3.FastPut", parsed=error.response, http_response=None,
                    model=None, context={},
                )  # fmt: skip
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
        from obstore.store import S3Store

        options = dict(self._options)
        client_options = options.pop("client_options")
        retry_config = options.pop("retry_config")
        if self._config.sse != "none":
            options["server_side_encryption"] = self._config.sse
            if self._config.sse == "aws:kms" and self._config.sse_kms_key_id:
                options["sse_kms_key_id"] = self._config.sse_kms_key_id
        return S3Store(
            bucket,
            client_options=client_options,
            retry_config=retry_config,
            credential_provider=_CredentialProvider(self._credentials),
            checksum_algorithm="sha256",  # S3 verifies the body: x-amz-checksum-sha256
            unsigned_payload=True,  # as botocore: the checksum header carries integrity
            **options,
        )


class _CredentialProvider:
    """botocore's credentials, read again whenever obstore asks (botocore refreshes them)."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    def __call__(self) -> S3Credential:
        frozen = self._credentials.get_frozen_credentials()
        expires = datetime.now(UTC) + _CREDENTIAL_TTL
        expiry = getattr(self._credentials, "_expiry_time", None)  # refreshable credentials
        if isinstance(expiry, datetime) and expiry.tzinfo is not None:
            expires = min(expires, expiry)
        return {
            "access_key_id": frozen.access_key,
            "secret_access_key": frozen.secret_key,
            "token": frozen.token,
            "expires_at": expires,
        }


def _options_of(client: Any) -> tuple[dict[str, Any], str | None]:
    """S3Store options matching the botocore client, or a reason why there are none."""
    from hma_gui.core.s3.client import is_loopback

    meta = getattr(client, "meta", None)
    if meta is None:
        return {}, "the client is no botocore client"
    config = meta.config
    endpoint = str(meta.endpoint_url or "")
    region = meta.region_name or "us-east-1"
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    verify = getattr(session, "_verify", True)
    if verify is False:
        return {}, "TLS verification is off"
    if getattr(config, "proxies", None):
        return {}, "a proxy is configured for botocore"
    client_options: dict[str, Any] = {
        "connect_timeout": timedelta(seconds=float(config.connect_timeout)),
        "read_timeout": timedelta(seconds=float(config.read_timeout)),
        "user_agent": "hma-ingest",
    }
    if isinstance(verify, str):  # botocore's CA bundle: trusted by obstore too
        try:
            with open(verify, "rb") as bundle:
                client_options["root_certificate"] = bundle.read()
        except OSError as exc:
            return {}, f"the CA bundle {verify} cannot be read ({exc.strerror})"
    options: dict[str, Any] = {"region": region}
    if host in ("s3.amazonaws.com", f"s3.{region}.amazonaws.com"):
        options["virtual_hosted_style_request"] = True  # AWS itself: obstore's own endpoint
    elif host.endswith(".amazonaws.com"):
        return {}, f"endpoint {endpoint} (dual-stack, FIPS or other) is left to botocore"
    else:
        if parts.scheme == "http":
            if not is_loopback(endpoint):
                return {}, f"plain HTTP to {endpoint} is left to botocore"
            client_options["allow_http"] = True
        options["endpoint"] = endpoint
    retries = config.retries or {}
    attempts = int(retries.get("total_max_attempts") or retries.get("max_attempts", 2) + 1)
    options["client_options"] = client_options
    options["retry_config"] = {"max_retries": max(0, attempts - 1)}
    return options, None


def _credentials_of(client: Any) -> Any:
    """The botocore client's own credentials object (None when it signs nothing)."""
    signer = getattr(client, "_request_signer", None)
    return getattr(signer, "_credentials", None)


def as_client_error(exc: BaseException, endpoint: str | None) -> Exception:
    """obstore's failure as botocore's `ClientError` (S3 answered) or an `UploadError`."""
    text = str(exc)
    head, _, debug = text.partition("Debug source:")
    status = _STATUS.search(head)
    retries = _RETRIES.search(head)
    if status is None:  # no answer from S3: the connection failed (after the retries)
        cause = next((word for needle, word in _CAUSES if needle in debug), None)
        reason = cause or _URL.sub("", head.rsplit(" - ", 1)[-1]).strip() or type(exc).__name__
        if retries:
            reason += f" (after {int(retries.group(1)) + 1} attempts)"
        return UploadError(
            f"cannot reach {endpoint or 'S3'}: {reason}", retryable=True, code="connection"
        )
    code = _CODE.search(head)
    message = _MESSAGE.search(head)
    response: Any = {
        "Error": {
            "Code": code.group(1) if code else status.group(1),
            "Message": message.group(1) if message else "",
        },
        "ResponseMetadata": {
            "HTTPStatusCode": int(status.group(1)),
            "RetryAttempts": int(retries.group(1)) if retries else 0,
        },
    }
    return bce.ClientError(response, "PutObject")
