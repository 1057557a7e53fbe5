"""Two AWS profiles against a moto server that checks keys, as AWS does.

moto's server refuses unknown access keys once ``INITIAL_NO_AUTH_ACTION_COUNT``
requests have passed: the first three create an IAM user ``work`` with an
allow-all policy and its access key. The profile ``work`` holds that key; the
``default`` profile holds a key moto never issued, so S3 refuses it with
``InvalidAccessKeyId`` exactly as AWS would.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MotoServer, start_moto_server, stop_moto_server

UNKNOWN_KEY_ID = "AKIADEFAULTKEY000001"
UNKNOWN_SECRET = "default/Secret+Key/Nobody/Issued/0000000001"


@dataclass(frozen=True)
class AuthMoto:
    server: MotoServer
    key_id: str  # the IAM user "work"'s key: moto accepts it
    secret: str

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def client(self, service: str = "s3") -> Any:
        import boto3  # here, not at collection: 0.3-0.6 s

        return boto3.client(
            service, endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
        )  # fmt: skip


@pytest.fixture(scope="module")
def auth_moto() -> Iterator[AuthMoto]:
    import boto3

    server = start_moto_server(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        iam = boto3.client(
            "iam", endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup",
        )  # fmt: skip
        iam.create_user(UserName="work")
        policy = {"Effect": "Allow", "Action": ["s3:*", "sts:*"], "Resource": "*"}
        iam.put_user_policy(
            UserName="work", PolicyName="all",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [policy]}),
        )  # fmt: skip
        key = iam.create_access_key(UserName="work")["AccessKey"]
        yield AuthMoto(server, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        stop_moto_server(server)


@dataclass(frozen=True)
class Accounts:
    moto: AuthMoto
    credentials_file: Path
    config_file: Path
    mba_bucket: str
    policy_bucket: str


def write_profiles(moto: AuthMoto) -> tuple[Path, Path]:
    """[default] with a key moto never issued, [work] with the IAM user's; an SSO profile."""
    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.write_text(
        f"[default]\naws_access_key_id = {UNKNOWN_KEY_ID}\n"
        f"aws_secret_access_key = {UNKNOWN_SECRET}\n"
        f"[work]\naws_access_key_id = {moto.key_id}\naws_secret_access_key = {moto.secret}\n"
    )
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.write_text(
        "[default]\nregion = us-east-1\n[profile work]\nregion = us-east-1\n"
        "[profile sso-user]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Admin\n"
    )
    return credentials, config


@pytest.fixture
def accounts(auth_moto: AuthMoto, monkeypatch: pytest.MonkeyPatch) -> Accounts:
    """Both profiles written, settings pointed at the checking moto, fresh scope buckets."""
    credentials, config = write_profiles(auth_moto)
    suffix = uuid.uuid4().hex[:10]
    mba, policy = f"mba-{suffix}", f"policy-{suffix}"
    s3 = auth_moto.client()
    for bucket in (mba, policy):
        s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", auth_moto.endpoint)
    monkeypatch.setenv("HMA_MBA_BUCKET", mba)
    monkeypatch.setenv("HMA_POLICY_BUCKET", policy)
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "1")
    return Accounts(auth_moto, credentials, config, mba, policy)
