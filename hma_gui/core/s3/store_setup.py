"""How obstore (Rust ``object_store``) talks to S3 as our botocore client would.

A `StoreSetup` is what an obstore ``S3Store`` needs besides its bucket: the
endpoint, region, timeouts, TLS roots and retries, and the credentials. It is
derived in one of two ways, which must agree:

* `setup_of_client`: read from a built botocore client (the window, the worker);
* `setup_of_settings`: from the settings and the environment alone, without
  botocore, where they settle every question botocore would answer — the
  command line's small uploads then never build botocore's client (0.2–0.3 s of
  CPU at start-up, ~0.13 ms per file of a 2,000-file upload). They settle it
  when: no AWS profile is chosen and the key is in ``AWS_ACCESS_KEY_ID`` /
  ``AWS_SECRET_ACCESS_KEY`` (botocore's first provider then; a chosen profile
  turns it off), or the sandbox's dummy key; the region is in the settings,
  in ``AWS_DEFAULT_REGION``, or there is no AWS config file that could hold it.
  Anything else (a profile, SSO, an instance role, expiring keys) is left to
  botocore's chain.

Where obstore cannot carry a setting the same way, there is no setup and
botocore carries everything: TLS verification off, a proxy configured in
botocore, plain HTTP to a non-loopback endpoint, an AWS endpoint other than the
regional S3 one, no credentials.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from hma_gui.core.errors import UploadError
from hma_gui.core.s3.client import SANDBOX_ACCESS_KEY, SANDBOX_REGION, is_loopback
from hma_gui.core.s3.credential_source import (
    ADVICE_FIELD,
    REFUSED_CODES,
    SOURCE_FIELD,
    CredentialSource,
)

if TYPE_CHECKING:
    from obstore.store import S3Credential

    from hma_gui.core.config.settings import Settings

__all__ = [
    "StoreSetup",
    "as_client_error",
    "client_error",
    "connection_failure",
    "obstore_available",
    "setup_of_client",
    "setup_of_settings",
]

# obstore asks for credentials again when they expire within 5 minutes; promise 15.
_CREDENTIAL_TTL = timedelta(minutes=15)

_STATUS = re.compile(r"non-2xx status code: (\d{3})")
_CODE = re.compile(r"<Code>([^<]*)</Code>")
_MESSAGE = re.compile(r"<Message>([^<]*)</Message>")
# The elements botocore keeps beside Code and Message that say where a bucket is
# (AuthorizationHeaderMalformed: Region; PermanentRedirect: Endpoint).
_WHERE = re.compile(r"<(Region|Endpoint)>([^<]*)</(?:Region|Endpoint)>")
_NO_LOCATION = "redirect without LOCATION"  # obstore's words for a 301 without a Location
_INVALID_CERTIFICATE = re.compile(r"InvalidCertificate\(\s*(\w+)")  # rustls: UnknownIssuer…
_RETRIES = re.compile(r"after (\d+) retries")
_URL = re.compile(r"https?://\S+")
# The innermost cause obstore's debug text names for a failed connection.
_CAUSES = (
    ("Connection refused", "connection refused"),
    ("Connection reset", "connection reset by peer"),
    ("connection closed", "connection closed"),
    ("timed out", "timed out"),
    ("TimedOut", "timed out"),  # reqwest's read time-out
    ("dns error", "host name not found"),
    ("certificate", "TLS certificate problem"),
)


@dataclass(frozen=True)
class StoreSetup:
    """``S3Store`` keyword arguments (but the bucket and credentials), and the credentials."""

    options: dict[str, Any]
    credentials: Callable[[], S3Credential]
    endpoint: str | None
    # Names a refused key in the error; None: the botocore client's own handler does.
    source: CredentialSource | None = None

    def store(self, bucket: str, **extra: Any) -> Any:
        """A new ``S3Store`` for `bucket` (its own connection pool)."""
        from obstore.store import S3Store

        options = dict(self.options)
        return S3Store(
            bucket,
            client_options=options.pop("client_options"),
            retry_config=options.pop("retry_config"),
            credential_provider=self.credentials,
            **options,
            **extra,
        )

    def name_source(self, error: Exception, client: Any = None) -> None:
        """Add where a refused key came from to a `ClientError`'s response, as botocore's does.

        A setup read from a built `client` (no `source`) lets that client's own
        handler (`credential_source.name_source_on_refusal`) name it.
        """
        response = getattr(error, "response", None)
        details = response.get("Error") if isinstance(response, dict) else None
        if not isinstance(details, dict):
            return
        if self.source is None:
            if client is not None:
                client.meta.events.emit(
                    "after-call.s3.PutObject", parsed=response, http_response=None,
                    model=None, context={},
                )  # fmt: skip
            return
        if details.get("Code") in REFUSED_CODES:
            details[SOURCE_FIELD] = self.source.describe()
            details[ADVICE_FIELD] = self.source.advice()


# --------------------------------------------------------------------- derivations


def obstore_available() -> bool:
    """Whether obstore is installed (the desktop bundle leaves it out)."""
    try:
        import obstore  # noqa: F401
    except ImportError:
        return False
    return True


def setup_of_settings(settings: Settings) -> tuple[StoreSetup | None, str | None]:
    """The setup the settings and the environment settle alone, or why they do not."""
    endpoint = settings.effective_endpoint()
    region = settings.region or os.environ.get("AWS_DEFAULT_REGION")
    config = Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
    if not region:
        if config.exists():
            return None, f"the region may be in {config} (botocore reads it)"
        region = SANDBOX_REGION
    if settings.sandbox and is_loopback(endpoint):
        key = secret = SANDBOX_ACCESS_KEY
        token = None
        source = CredentialSource("explicit", None, SANDBOX_ACCESS_KEY)
    else:
        env = os.environ
        key, secret = env.get("AWS_ACCESS_KEY_ID", ""), env.get("AWS_SECRET_ACCESS_KEY", "")
        if settings.aws_profile:
            return None, "an AWS profile is chosen (botocore's chain)"
        if not key or not secret or env.get("AWS_CREDENTIAL_EXPIRATION"):
            return None, "the key is not in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
        tokens = [env[name] for name in ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN") if name in env]
        token = tokens[0] if tokens else None  # botocore's order
        source = CredentialSource("env", None, key)
    verify = _verify_of_settings(settings, config)
    if verify is None:
        return None, f"a CA bundle may be in {config} (botocore reads it)"
    options, why_not = _store_options(
        endpoint, region, settings.connect_timeout, settings.read_timeout, verify,
        settings.max_attempts,
    )  # fmt: skip
    if why_not:
        return None, why_not
    credential: S3Credential = {
        "access_key_id": key, "secret_access_key": secret, "token": token, "expires_at": None,
    }  # fmt: skip
    return StoreSetup(options, lambda: credential, endpoint, source), None


def _verify_of_settings(settings: Settings, config: Path) -> bool | str | None:
    """What botocore verifies TLS with for these settings; None: the AWS config file may say.

    botocore's order (`Settings.botocore_verify`): the settings' CA bundle, verification
    off, ``AWS_CA_BUNDLE``, ``ca_bundle`` in the config file, ``REQUESTS_CA_BUNDLE``.
    """
    verify = settings.botocore_verify()
    if verify is not None:
        return verify
    if os.environ.get("AWS_CA_BUNDLE"):
        return os.environ["AWS_CA_BUNDLE"]
    try:
        mentioned = "ca_bundle" in config.read_text(encoding="utf-8", errors="replace")
    except OSError:  # no config file (or none we may read: botocore could not either)
        mentioned = False
    return None if mentioned else os.environ.get("REQUESTS_CA_BUNDLE") or True


def setup_of_client(client: Any) -> tuple[StoreSetup | None, str | None]:
    """The setup matching a built botocore client, or why there is none."""
    meta = getattr(client, "meta", None)
    if meta is None:
        return None, "the client is no botocore client"
    signer = getattr(client, "_request_signer", None)
    credentials = getattr(signer, "_credentials", None)
    if credentials is None:
        return None, "the client has no credentials"
    config = meta.config
    if getattr(config, "proxies", None):
        return None, "a proxy is configured for botocore"
    session = getattr(getattr(client, "_endpoint", None), "http_session", None)
    retries = config.retries or {}
    attempts = int(retries.get("total_max_attempts") or retries.get("max_attempts", 2) + 1)
    endpoint = str(meta.endpoint_url or "")
    options, why_not = _store_options(
        endpoint, meta.region_name or SANDBOX_REGION, float(config.connect_timeout),
        float(config.read_timeout), getattr(session, "_verify", True), attempts,
    )  # fmt: skip
    if why_not:
        return None, why_not
    return StoreSetup(options, _BotocoreCredentials(credentials), endpoint), None


def _store_options(
    endpoint: str | None,
    region: str,
    connect_timeout: float,
    read_timeout: float,
    verify: bool | str,
    attempts: int,
) -> tuple[dict[str, Any], str | None]:
    """S3Store options for these connection settings, or a reason why there are none."""
    if verify is False:
        return {}, "TLS verification is off"
    client_options: dict[str, Any] = {
        "connect_timeout": timedelta(seconds=connect_timeout),
        "read_timeout": timedelta(seconds=read_timeout),
        "user_agent": "hma-ingest",
    }
    if isinstance(verify, str):  # botocore's CA bundle: trusted by obstore too
        try:
            with open(verify, "rb") as bundle:
                client_options["root_certificate"] = bundle.read()
        except OSError as exc:
            return {}, f"the CA bundle {verify} cannot be read ({exc.strerror})"
    options: dict[str, Any] = {"region": region}
    parts = urlsplit(endpoint or "")
    host = parts.hostname or ""
    if not endpoint or host in ("s3.amazonaws.com", f"s3.{region}.amazonaws.com"):
        options["virtual_hosted_style_request"] = True  # AWS itself: obstore's own endpoint
    elif host.endswith(".amazonaws.com"):
        return {}, f"endpoint {endpoint} (dual-stack, FIPS or other) is left to botocore"
    else:
        if parts.scheme == "http":
            if not is_loopback(endpoint):
                return {}, f"plain HTTP to {endpoint} is left to botocore"
            client_options["allow_http"] = True
        options["endpoint"] = endpoint
    options["client_options"] = client_options
    options["retry_config"] = {"max_retries": max(0, attempts - 1)}
    return options, None


class _BotocoreCredentials:
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


# --------------------------------------------------------------------- errors


def as_client_error(
    exc: BaseException, endpoint: str | None, operation: str = "PutObject"
) -> Exception:
    """obstore's failure as botocore's `ClientError` (S3 answered) or an `UploadError`."""
    text = str(exc)
    head, _, debug = text.partition("Debug source:")
    status = _STATUS.search(head)
    retries = _RETRIES.search(head)
    if _NO_LOCATION in head:  # S3's 301 for a bucket in another region (obstore drops its body)
        return client_error(301, "<Code>PermanentRedirect</Code>", 0, operation)
    invalid = _INVALID_CERTIFICATE.search(debug)
    if status is None and invalid:  # as botocore's SSLError: no use trying again
        return UploadError(
            f"TLS verification failed for the S3 endpoint: {endpoint or 'S3'} presented an"
            f" invalid certificate ({invalid.group(1)})",
            retryable=False,
        )
    if status is None:  # no answer from S3: the connection failed (after the retries)
        cause = next((word for needle, word in _CAUSES if needle in debug), None)
        reason = cause or _URL.sub("", head.rsplit(" - ", 1)[-1]).strip() or type(exc).__name__
        return connection_failure(endpoint, reason, int(retries.group(1)) + 1 if retries else 1)
    return client_error(
        int(status.group(1)), head, int(retries.group(1)) if retries else 0, operation
    )


def client_error(
    status: int,
    body: str,
    retries: int,
    operation: str = "PutObject",
    bucket_region: str | None = None,
) -> Exception:
    """S3's refusal (`status`, its XML `body`) as botocore's `ClientError`.

    Shaped as botocore parses it: ``Region`` and ``Endpoint`` beside the code, and
    `bucket_region` (the ``x-amz-bucket-region`` header) among the headers.
    """
    import botocore.exceptions as bce

    code = _CODE.search(body)
    message = _MESSAGE.search(body)
    error = {
        "Code": code.group(1) if code else str(status),
        "Message": message.group(1) if message else "",
        **dict(_WHERE.findall(body)),
    }
    headers = {"x-amz-bucket-region": bucket_region} if bucket_region else {}
    response: Any = {
        "Error": error,
        "ResponseMetadata": {
            "HTTPStatusCode": status, "RetryAttempts": retries, "HTTPHeaders": headers,
        },
    }  # fmt: skip
    return bce.ClientError(response, operation)


def connection_failure(endpoint: str | None, reason: str, attempts: int) -> UploadError:
    """The error of a request that never got an answer, after `attempts` tries."""
    if attempts > 1:
        reason += f" (after {attempts} attempts)"
    return UploadError(
        f"cannot reach {endpoint or 'S3'}: {reason}", retryable=True, code="connection"
    )
