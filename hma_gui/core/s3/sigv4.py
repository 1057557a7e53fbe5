"""AWS Signature Version 4 for one S3 request, without botocore.

`stream_put` signs its PUTs here: importing botocore's ``auth`` module costs ~0.1 s
and building a client ~0.25 s, before the first byte of a large file could
leave. The body is not signed (``UNSIGNED-PAYLOAD``), as botocore sends S3 bodies
with payload signing off; integrity is Content-MD5 or the ETag check.

The canonical request is S3's: the path as sent (URI-encoded once, never
normalised), no query, every given header but ``Expect`` and ``User-Agent``
(botocore leaves those unsigned too), values trimmed. `tests/test_sigv4.py`
compares every signature with botocore's ``S3SigV4Auth`` for the same request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

__all__ = ["UNSIGNED_PAYLOAD", "Credentials", "object_path", "sign"]

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
_ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = ""
    token: str | None = None

    def __repr__(self) -> str:  # never the secret or the token in a log or a traceback
        return f"Credentials(access_key={self.access_key!r})"


def object_path(bucket: str | None, key: str) -> str:
    """The request path of an object: ``/bucket/key`` (path style) or ``/key``, encoded once."""
    path = f"/{bucket}/{key}" if bucket else f"/{key}"
    return quote(path, safe="/~")


def sign(
    method: str,
    host: str,
    path: str,
    headers: Mapping[str, str],
    credentials: Credentials,
    region: str,
    now: datetime,
    service: str = "s3",
) -> dict[str, str]:
    """`headers` and those SigV4 adds (date, payload hash, token, ``Authorization``).

    `host` is the ``Host`` header's value (with the port unless it is the scheme's
    default), `path` the encoded request path, `now` an aware UTC time.
    """
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    out = dict(headers)
    out["X-Amz-Date"] = stamp
    out["X-Amz-Content-SHA256"] = UNSIGNED_PAYLOAD
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    signed = {name.lower(): " ".join(str(value).split()) for name, value in out.items()}
    signed.pop("expect", None)
    signed.pop("user-agent", None)
    signed["host"] = host
    names = sorted(signed)
    canonical = "\n".join(
        [
            method,
            path,
            "",  # no query
            *(f"{name}:{signed[name]}" for name in names),
            "",
            ";".join(names),
            UNSIGNED_PAYLOAD,
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    to_sign = f"{_ALGORITHM}\n{stamp}\n{scope}\n{digest}"
    key = f"AWS4{credentials.secret_key}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"{_ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return out
