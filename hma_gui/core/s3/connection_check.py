"""*Test connection*: who am I, and can each scope's bucket and prefix be listed?

Read-only on purpose: it lists (``ListObjectsV2``, at most one key) and asks for
the bucket (``HeadBucket``), and writes nothing, so write permission is not
proven; the report says so. Each request is tried once with short timeouts
(`probe.quick_settings`), and a dead endpoint ends the check at once, so it
answers within a few seconds. The identity comes from STS ``GetCallerIdentity``
(on AWS, or on an endpoint on this computer such as moto or the sandbox).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import botocore.exceptions as bce

from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import AuthError, HmaError
from hma_gui.core.s3.client import (
    CONNECTION_ERRORS,
    is_loopback,
    make_aws_session,
    make_s3_client,
    translate_error,
)
from hma_gui.core.s3.credential_source import CredentialSource, name_source_on_refusal
from hma_gui.core.s3.probe import quick_settings

CHECK_TIMEOUT = 5.0  # seconds per request: a dead endpoint must not freeze anyone's patience


class LineStatus(Enum):
    OK = "ok"
    FAILED = "failed"
    INFO = "info"


@dataclass(frozen=True)
class CheckLine:
    status: LineStatus
    text: str
    seconds: float = 0.0

    def __str__(self) -> str:
        mark = {LineStatus.OK: "✓", LineStatus.FAILED: "✗", LineStatus.INFO: "·"}[self.status]
        took = f" ({self.seconds:.1f} s)" if self.seconds >= 0.05 else ""
        return f"{mark} {self.text}{took}"


@dataclass
class ConnectionReport:
    lines: list[CheckLine] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not any(line.status is LineStatus.FAILED for line in self.lines)

    def text(self) -> str:
        verdict = "Connection works" if self.ok else "Connection failed"
        return "\n".join([f"{verdict} — checked in {self.seconds:.1f} s", *map(str, self.lines)])


class _Stop(Exception):
    """Every further request would fail alike (dead endpoint, refused credentials)."""

    def __init__(self, line: CheckLine) -> None:
        super().__init__(line.text)
        self.line = line


def check_connection(settings: Settings, *, timeout: float = CHECK_TIMEOUT) -> ConnectionReport:
    """Check the settings' AWS identity and every scope's bucket and prefix (read-only)."""
    started = time.monotonic()
    report = ConnectionReport()
    # The AWS side of the settings, never the sandbox's dummy key.
    quick = quick_settings(settings.model_copy(update={"sandbox": False}), timeout)
    endpoint = quick.effective_endpoint()
    local = is_loopback(endpoint)
    where = endpoint or f"AWS S3 ({quick.region or 'the profile’s region'})"
    note = " — on this computer: a local test endpoint (sandbox, moto), not AWS" if local else ""
    report.lines.append(CheckLine(LineStatus.INFO, f"endpoint: {where}{note}"))
    try:
        session = _step("credentials", lambda: make_aws_session(quick))
        source = _step("credentials", lambda: _credentials(session, quick))
        report.lines.append(CheckLine(LineStatus.INFO, f"credentials: {source.describe()}"))
        client = make_s3_client(quick, pool_size=1)
        try:
            for name, scope in sorted(quick.scopes.items()):
                report.lines.append(
                    _check_scope(client, name, scope.bucket, scope.prefix, endpoint)
                )
        finally:
            client.close()
        if endpoint is None or local:
            report.lines.insert(2, _identity(session, quick, endpoint))
        else:
            report.lines.insert(2, CheckLine(LineStatus.INFO, "who: not asked (not AWS)"))
        report.lines.append(
            CheckLine(
                LineStatus.INFO,
                "read-only check: nothing was written, so write permission is not tested",
            )
        )
    except _Stop as stop:
        report.lines.append(stop.line)
    report.seconds = time.monotonic() - started
    return report


def _step(what: str, fn: Callable[[], Any]) -> Any:
    """`fn()`; a failure becomes a failed line that stops the check."""
    began = time.monotonic()
    try:
        return fn()
    except (HmaError, bce.BotoCoreError, bce.ClientError) as exc:
        error = exc if isinstance(exc, HmaError) else translate_error(exc)
        line = CheckLine(LineStatus.FAILED, f"{what}: {error}", time.monotonic() - began)
        raise _Stop(line) from exc


def _credentials(session: Any, settings: Settings) -> CredentialSource:
    credentials = session.get_credentials()
    if credentials is None:
        raise bce.NoCredentialsError()
    frozen = credentials.get_frozen_credentials()  # signs in (SSO, a role) if it must
    profile = settings.aws_profile or session.profile_name
    return CredentialSource(str(credentials.method), profile, frozen.access_key)


def _check_scope(
    client: Any, name: str, bucket: str, prefix: str, endpoint: str | None
) -> CheckLine:
    began = time.monotonic()
    target = f"scope {name}: s3://{bucket}/{prefix}"
    try:
        listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
        head = client.head_bucket(Bucket=bucket)
    except CONNECTION_ERRORS as exc:
        error = translate_error(exc, bucket=bucket, endpoint=endpoint)
        line = CheckLine(LineStatus.FAILED, str(error), time.monotonic() - began)
        raise _Stop(line) from exc
    except (bce.ClientError, bce.BotoCoreError) as exc:
        error = translate_error(exc, bucket=bucket, endpoint=endpoint)
        line = CheckLine(LineStatus.FAILED, f"{target} — {error}", time.monotonic() - began)
        if isinstance(error, AuthError):
            raise _Stop(line) from exc
        return line
    region = head.get("BucketRegion") or head.get("ResponseMetadata", {}).get(
        "HTTPHeaders", {}
    ).get("x-amz-bucket-region")
    found = "empty" if not listed.get("KeyCount") else "has files"
    where = f", region {region}" if region else ""
    return CheckLine(
        LineStatus.OK,
        f"{target} — bucket found{where}, listing allowed ({found})",
        time.monotonic() - began,
    )


def _identity(session: Any, settings: Settings, endpoint: str | None) -> CheckLine:
    from botocore.config import Config

    began = time.monotonic()
    sts = session.client(
        "sts",
        endpoint_url=endpoint,  # moto and the sandbox answer STS on the S3 endpoint
        config=Config(
            region_name=settings.region or session.region_name or "us-east-1",
            retries={"total_max_attempts": 1},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
        ),
        verify=settings.botocore_verify(),
    )
    name_source_on_refusal(sts, session)
    try:
        who = sts.get_caller_identity()
    except (bce.ClientError, bce.BotoCoreError) as exc:
        error = translate_error(exc, endpoint=endpoint)
        status = LineStatus.FAILED if isinstance(error, AuthError) else LineStatus.INFO
        return CheckLine(status, f"who: not known ({error})", time.monotonic() - began)
    finally:
        sts.close()
    return CheckLine(
        LineStatus.OK,
        f"who: account {who.get('Account')}, {who.get('Arn')}",
        time.monotonic() - began,
    )
