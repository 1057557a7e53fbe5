"""Is the S3 endpoint there? One cheap request, before a paused queue is let go again.

After the queue paused itself on a dead endpoint, pressing Resume used to
release it at once: each press failed a few more files before the run guard
paused it again. `probe_endpoint` asks once (HeadBucket on a scope's bucket,
one attempt, short timeouts); any answer from the server, even an error
status, means it is back.
"""

from __future__ import annotations

import botocore.exceptions as bce

from hma_gui.core.config.settings import Settings
from hma_gui.core.s3.client import CONNECTION_ERRORS, make_s3_client

PROBE_TIMEOUT = 5.0


def quick_settings(settings: Settings, timeout: float = PROBE_TIMEOUT) -> Settings:
    """`settings` for one quick question: one attempt, timeouts of at most `timeout` s."""
    return settings.model_copy(
        update={
            "max_attempts": 1,
            "connect_timeout": min(settings.connect_timeout, timeout),
            "read_timeout": min(settings.read_timeout, timeout),
        }
    )


def probe_endpoint(settings: Settings, *, timeout: float = PROBE_TIMEOUT) -> str | None:
    """None when the endpoint answers; otherwise why it does not (for a banner)."""
    quick = quick_settings(settings, timeout)
    where = settings.effective_endpoint() or "S3"
    bucket = next((s.bucket for s in settings.scopes.values() if s.bucket), None)
    try:
        client = make_s3_client(quick, pool_size=1)
    except Exception as exc:  # noqa: BLE001 - a client that cannot be built cannot probe
        return f"cannot reach {where}: {exc}"
    try:
        if bucket:
            client.head_bucket(Bucket=bucket)
        else:
            client.list_buckets()
    except CONNECTION_ERRORS as exc:
        return f"cannot reach {where}: {exc}"
    except (bce.ClientError, bce.NoCredentialsError):
        return None  # the server answered (or never was asked for want of credentials)
    except bce.BotoCoreError as exc:
        return f"cannot reach {where}: {exc}"
    finally:
        client.close()
    return None
