"""The one S3 client of a process, and the translation of AWS errors for people.

botocore clients are thread-safe; build one with `make_s3_client` and pass it to
everything that talks to S3 (uploader, duplicate check, ETL). Requests are
retried by botocore's *standard* retry mode: exponential backoff with full
jitter on throttling, 5xx and connection errors, up to ``max_attempts``.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import botocore.exceptions as bce

from hma_gui.core.errors import AuthError, ConfigError, UploadError
from hma_gui.core.s3.credential_source import (
    ADVICE_FIELD,
    SETTINGS_HINT,
    SOURCE_FIELD,
    name_source_on_refusal,
    profile_files,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from hma_gui.core.config.settings import Settings
else:
    S3Client = Any

__all__ = ["AwsSession", "S3Client", "make_aws_session", "make_s3_client", "translate_error"]

logger = logging.getLogger(__name__)

SANDBOX_ACCESS_KEY = "sandbox"  # the sandbox endpoint accepts any key; these are not secrets
SANDBOX_REGION = "us-east-1"

_AUTH_CODES = {
    "InvalidAccessKeyId": "the AWS access key id is not known to S3",
    "InvalidClientTokenId": "the AWS access key id is not known to AWS",
    "SignatureDoesNotMatch": "the AWS secret key does not match the access key id",
    "ExpiredToken": "the AWS session has expired; sign in again (aws sso login)",
    "InvalidToken": "the AWS session token is invalid; sign in again",
    "TokenRefreshRequired": "the AWS session must be refreshed; sign in again",
    "RequestTimeTooSkewed": "this computer's clock is too far from AWS time; fix the clock",
}
# S3's answers for a bucket that is in another region than the request was signed for.
_WRONG_REGION_CODES = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
)
_ENDPOINT_REGION = re.compile(r"\.s3[.-]([a-z0-9-]+)\.amazonaws\.com$")
_TARGET_CODES = {
    "AccessDenied": "access denied: your AWS identity may not write to s3://{bucket} "
    "(check the IAM policy and the bucket policy)",
    "AllAccessDisabled": "all access to s3://{bucket} is disabled",
    "AccountProblem": "the AWS account has a problem that blocks this request",
    "NoSuchBucket": "bucket {bucket!r} does not exist (check the scope's bucket in the settings)",
    "InvalidBucketName": "{bucket!r} is not a valid bucket name",
    "KMS.NotFoundException": "the KMS key for server-side encryption was not found",
    "KMS.DisabledException": "the KMS key for server-side encryption is disabled",
    "InvalidArgument": "S3 refused a request argument: {message}",
    "EntityTooLarge": "the file is larger than S3 accepts in one request",
    "InvalidObjectState": "the object is archived and cannot be overwritten now",
}
# botocore sends "Expect: 100-continue" with every request body, so each upload
# waits a round trip for the server's go-ahead before sending the body. That
# only pays off for bodies large enough to be worth not sending when the
# request is refused; like the AWS SDK for Go v2 (2 MiB), ask only above this.
EXPECT_CONTINUE_MIN_BYTES = 2 * 1024 * 1024
SEND_BLOCK = 1024 * 1024  # bytes http.client reads from a request body per send

_CONNECTION_ERRORS = (
    bce.EndpointConnectionError,
    bce.ConnectTimeoutError,
    bce.ReadTimeoutError,
    bce.ConnectionClosedError,
    bce.ProxyConnectionError,
    bce.ConnectionError,
)
CONNECTION_ERRORS = _CONNECTION_ERRORS  # the endpoint did not answer (the probe's test)


def is_loopback(url: str | None) -> bool:
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AwsSession:
    """The part of boto3's ``Session`` we use, on botocore's session alone.

    boto3 adds nothing our clients use (its resources and the s3transfer methods it
    hangs on S3 clients), and `make_s3_client` in a fresh process took ~30 ms longer
    with it (medians ~0.195 against ~0.165 s; bench/RESULTS.md, 2026-12-07).
    """

    def __init__(self, profile_name: str | None = None, region_name: str | None = None) -> None:
        import botocore.session  # imported here: commands without S3 should not pay

        self._session = botocore.session.Session()
        if profile_name:
            self._session.set_config_variable("profile", profile_name)
        if region_name:
            self._session.set_config_variable("region", region_name)
        self._session.get_scoped_config()  # an unknown profile fails here, as in boto3

    @property
    def profile_name(self) -> str:
        return str(self._session.profile or "default")

    @property
    def region_name(self) -> str | None:
        region = self._session.get_config_variable("region")
        return str(region) if region else None

    @property
    def available_profiles(self) -> list[str]:
        return list(self._session.available_profiles)

    def get_credentials(self) -> Any:
        return self._session.get_credentials()

    def client(self, service_name: str, **kwargs: Any) -> Any:
        return self._session.create_client(service_name, **kwargs)

    def available_services(self) -> list[str]:
        """The services whose models botocore finds (a bundle keeps only ours)."""
        return list(self._session.get_available_services())


def make_aws_session(settings: Settings) -> AwsSession:
    """The AWS session of the settings' profile and region (`ConfigError` if unknown)."""
    try:
        return AwsSession(settings.aws_profile or None, settings.region or None)
    except bce.ProfileNotFound as exc:
        config, credentials = profile_files()
        raise ConfigError(
            f"AWS profile {settings.aws_profile!r} was not found in {config} or {credentials} "
            "[HMA_AWS_PROFILE or 'aws_profile' in the settings file]"
        ) from exc


def make_s3_client(settings: Settings, *, pool_size: int | None = None) -> S3Client:
    """Build the process's S3 client from the settings (and the standard AWS chain)."""
    from botocore.config import Config

    endpoint = settings.s3_endpoint_url
    session = make_aws_session(settings)
    credentials: dict[str, str] = {}
    if settings.sandbox and is_loopback(settings.effective_endpoint()):
        credentials = {
            "aws_access_key_id": SANDBOX_ACCESS_KEY,
            "aws_secret_access_key": SANDBOX_ACCESS_KEY,
        }
    if endpoint and endpoint.startswith("http://") and not is_loopback(endpoint):
        logger.warning("S3 endpoint %s is plain HTTP: traffic is not encrypted", endpoint)
    config = Config(
        region_name=settings.region or session.region_name or SANDBOX_REGION,
        # botocore's "max_attempts" counts retries (5 means 6 requests); ours counts requests.
        retries={"total_max_attempts": settings.max_attempts, "mode": settings.retry_mode},
        max_pool_connections=pool_size or max(10, settings.concurrency * 2),
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        # Every upload carries Content-MD5, so the body need not be SHA-256 signed too.
        s3={"payload_signing_enabled": False},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_appid="hma-ingest",  # type: ignore[call-arg]  # newer than the stubs
        tcp_keepalive=True,
    )
    client: S3Client = session.client(
        "s3",
        endpoint_url=endpoint,
        config=config,
        verify=settings.botocore_verify(),
        **credentials,
    )
    # After botocore's own "before-call.s3" handler that adds the header.
    client.meta.events.register_last("before-call.s3", _expect_continue_for_large_bodies)
    _send_bodies_in_large_blocks(client)
    name_source_on_refusal(
        client, session, explicit_key=SANDBOX_ACCESS_KEY if credentials else None
    )
    return client


def _send_bodies_in_large_blocks(client: Any) -> None:
    """Let http.client send request bodies in blocks of `SEND_BLOCK` bytes (not 16 KiB).

    A streamed PUT or a part is read, hashed, paced and reported once per block:
    with 1 MiB blocks the client spends ~8 % less CPU per byte and the server gets
    fewer, larger writes (moto: ~7 % less CPU; `bench/RESULTS.md`). urllib3 passes
    the pool's ``blocksize`` to each new connection. botocore keeps its pool manager
    private: without it (another botocore) bodies go in urllib3's default blocks.
    """
    manager = getattr(getattr(client._endpoint, "http_session", None), "_manager", None)
    pool_kw = getattr(manager, "connection_pool_kw", None)
    if isinstance(pool_kw, dict):
        pool_kw["blocksize"] = SEND_BLOCK


def _expect_continue_for_large_bodies(params: dict[str, Any], **_: Any) -> None:
    """Drop ``Expect: 100-continue`` from requests with small bodies (a round trip each)."""
    headers = params.get("headers")
    if not headers or headers.get("Expect") != "100-continue":
        return
    length = headers.get("Content-Length")
    if length is None:
        from botocore.utils import determine_content_length  # loaded with the client already

        length = determine_content_length(params.get("body"))
    try:
        length = int(length)
    except (TypeError, ValueError):
        return
    if 0 <= length < EXPECT_CONTINUE_MIN_BYTES:
        del headers["Expect"]


def credentials_found(settings: Settings) -> bool:
    """True when the standard AWS chain yields credentials (sandbox needs none)."""
    if settings.sandbox:
        return True
    try:
        return make_aws_session(settings).get_credentials() is not None
    except (bce.BotoCoreError, ConfigError):
        return False


def translate_error(
    exc: BaseException, *, bucket: str = "", endpoint: str | None = None
) -> UploadError:
    """An `UploadError` (or `AuthError`) a user understands, from any botocore failure."""
    if isinstance(exc, UploadError):
        return exc
    if isinstance(exc, bce.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        message = str(error.get("Message", "")) or code
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        if code in _AUTH_CODES:
            source = error.get(SOURCE_FIELD)
            if source:  # the client named where the refused key came from
                return AuthError(
                    f"{_AUTH_CODES[code]}: {source}. To fix: {error.get(ADVICE_FIELD)}", code=code
                )
            return AuthError(_AUTH_CODES[code], code=code)
        if code in _TARGET_CODES:
            text = _TARGET_CODES[code].format(bucket=bucket, message=message)
            return UploadError(text, retryable=False, code=code)
        if is_wrong_region(exc):
            return _wrong_region(bucket, bucket_region(exc), code)
        if code in ("BadDigest", "InvalidDigest"):
            return UploadError(
                "S3 received different bytes than were read (the file may be changing)",
                retryable=True,
                code=code,
            )
        retryable = status >= 500 or status in (408, 429) or code in ("SlowDown", "RequestTimeout")
        attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts")
        after = f" after {int(attempts) + 1} attempts" if attempts else ""
        return UploadError(
            f"S3 error {code or status}{after}: {message}", retryable=retryable, code=code
        )
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return AuthError(
            "no AWS credentials found (no profile, SSO sign-in or AWS_ACCESS_KEY_ID): sign in "
            f"(aws sso login / aws configure), {SETTINGS_HINT}, or use the sandbox"
        )
    if isinstance(exc, bce.ProfileNotFound | bce.SSOError | bce.TokenRetrievalError):
        return AuthError(f"AWS sign-in problem: {exc}")
    if isinstance(exc, bce.SSLError):
        return UploadError(f"TLS verification failed for the S3 endpoint: {exc}", retryable=False)
    if isinstance(exc, _CONNECTION_ERRORS):
        where = endpoint or "S3"
        return UploadError(
            f"cannot reach {where}: {_short(_without_object_url(exc))}",
            retryable=True,
            code="connection",
        )
    if isinstance(exc, bce.BotoCoreError):
        return UploadError(f"S3 request failed: {exc}", retryable=True)
    return UploadError(f"{type(exc).__name__}: {exc}", retryable=False)


def is_wrong_region(exc: BaseException) -> bool:
    """S3's answer for a bucket in another region than the request was signed for.

    botocore's client follows it (it asks again in the bucket's region); obstore and
    `stream_put` do not: the uploader and the lazy client hand such a bucket to botocore.
    """
    if not isinstance(exc, bce.ClientError):
        return False
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    return code in _WRONG_REGION_CODES and (
        code != "AuthorizationHeaderMalformed" or bool(error.get("Region"))
    )


def bucket_region(exc: bce.ClientError) -> str | None:
    """The bucket's region as S3 named it: in the error, its header, or its endpoint."""
    error = exc.response.get("Error", {})
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    endpoint = _ENDPOINT_REGION.search(str(error.get("Endpoint") or ""))
    named = error.get("Region") or headers.get("x-amz-bucket-region")
    return str(named) if named else (endpoint.group(1) if endpoint else None)


def _wrong_region(bucket: str, region: str | None, code: str) -> UploadError:
    """S3 answered that the bucket lives in another region than the one we signed for.

    Seen when botocore could not follow the answer either (an endpoint of our own,
    a region S3 did not name): the settings' region is what to fix.
    """
    where = f"region {region}" if region else "another region"
    fix = f"HMA_REGION={region}" if region else "HMA_REGION"
    return UploadError(
        f"bucket {bucket!r} is in {where}, not in the region in the settings: set the region "
        f"to the bucket's (Settings → AWS connection, or {fix})",
        retryable=False,
        code=code,
    )


def is_connection_error(error: UploadError) -> bool:
    return error.code == "connection"


def _without_object_url(exc: BaseException) -> str:
    """The error's text with the request URL cut to its origin.

    botocore names the URL of the request (bucket and key) that met the dead endpoint;
    the message also stands for the files that were then not attempted, so it must not
    name that one file.
    """
    text = str(exc)
    url = getattr(exc, "kwargs", {}).get("endpoint_url")
    if isinstance(url, str) and url:
        parts = urlsplit(url)
        text = text.replace(url, f"{parts.scheme}://{parts.netloc}")
    return text


def _short(text: str) -> str:
    return text if len(text) < 200 else text[:197] + "..."
