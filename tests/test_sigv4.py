"""Our SigV4 signatures are botocore's, byte for byte, for the requests `stream_put` sends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotocoreCredentials

from hma_gui.core.s3.sigv4 import UNSIGNED_PAYLOAD, Credentials, object_path, sign

NOW = datetime(2026, 12, 7, 7, 5, 9, tzinfo=UTC)


def botocore_signature(
    url: str, headers: dict[str, str], credentials: Credentials, region: str
) -> tuple[str, str]:
    """botocore's canonical request and signature of a PUT with an unsigned payload."""
    request = AWSRequest(method="PUT", url=url, headers=dict(headers))
    request.context["timestamp"] = NOW.strftime("%Y%m%dT%H%M%SZ")
    request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    auth = S3SigV4Auth(
        BotocoreCredentials(credentials.access_key, credentials.secret_key, credentials.token),
        "s3",
        region,
    )
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    return canonical, auth.signature(auth.string_to_sign(request, canonical), request)


@pytest.mark.parametrize(
    ("origin", "host", "bucket", "key", "token"),
    [
        ("http://127.0.0.1:5000", "127.0.0.1:5000", "bkt", "up/mba/csv/a.csv", None),
        ("http://127.0.0.1:5000", "127.0.0.1:5000", "bkt", "up/dir with space/ä+b=c&d.csv", "T"),
        ("https://bkt.s3.eu-west-1.amazonaws.com", "bkt.s3.eu-west-1.amazonaws.com", None,
         "2026/12/mba~x (1).csv", "FwoGZXIvYXdzE//token+="),
        ("https://minio.example.org", "minio.example.org", "b.with.dots", "k%25/é", None),
    ],
)  # fmt: skip
def test_the_signature_is_botocores(
    origin: str, host: str, bucket: str | None, key: str, token: str | None
) -> None:
    headers = {
        "Content-Length": "9437184",
        "Content-Type": "text/csv",
        "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
        "x-amz-meta-md5": "d41d8cd98f00b204e9800998ecf8427e",
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "alias/  members",  # spaces trimmed
        "If-None-Match": "*",
        "Expect": "100-continue",  # not signed, by either
        "User-Agent": "hma-ingest",
    }
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    path = object_path(bucket, key)
    ours = sign("PUT", host, path, headers, credentials, "eu-west-1", NOW)
    canonical, signature = botocore_signature(origin + path, headers, credentials, "eu-west-1")
    assert ours["Authorization"].endswith(f"Signature={signature}"), canonical
    assert ours["X-Amz-Content-SHA256"] == UNSIGNED_PAYLOAD
    assert ours["X-Amz-Date"] == "20261207T070509Z"
    assert ours.get("X-Amz-Security-Token") == token
    assert "expect" not in ours["Authorization"] and "user-agent" not in ours["Authorization"]


def test_another_secret_or_day_gives_another_signature() -> None:
    args = ("PUT", "h", "/b/k", {"Content-Length": "1"})
    one = sign(*args, Credentials("A", "S1"), "us-east-1", NOW)["Authorization"]
    other = sign(*args, Credentials("A", "S2"), "us-east-1", NOW)["Authorization"]
    later = sign(*args, Credentials("A", "S1"), "us-east-1", NOW.replace(day=8))["Authorization"]
    assert len({one, other, later}) == 3


def test_credentials_never_show_their_secret() -> None:
    shown = repr(Credentials("AKIDEXAMPLE", "the-secret", "the-token"))
    assert "AKIDEXAMPLE" in shown
    assert "the-secret" not in shown and "the-token" not in shown
