"""A refused key says where it came from and what to do; Test connection's core check.

Against moto's server with key checking on (`tests.aws_accounts`): the ``default``
profile's key is unknown to it, the ``work`` profile's is an IAM user's.
"""

from __future__ import annotations

import socket
import time

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import AuthError, ConfigError
from hma_gui.core.s3.client import make_s3_client, translate_error
from hma_gui.core.s3.connection_check import LineStatus, check_connection
from hma_gui.core.s3.credential_source import CredentialSource, mask_key_id
from tests.aws_accounts import (  # noqa: F401 - fixtures
    UNKNOWN_KEY_ID,
    UNKNOWN_SECRET,
    Accounts,
    accounts,
    auth_moto,
)
from tests.conftest import free_port

pytestmark = pytest.mark.integration


def refusal(profile: str | None = None) -> AuthError:
    client = make_s3_client(load_settings(aws_profile=profile))
    with pytest.raises(Exception) as caught:
        client.list_objects_v2(Bucket=load_settings().scope("mba").bucket, MaxKeys=1)
    error = translate_error(caught.value)
    assert isinstance(error, AuthError)
    return error


def test_a_refused_key_names_the_profile_and_file_it_came_from_and_what_to_do(
    accounts: Accounts,  # noqa: F811
) -> None:
    text = str(refusal())
    assert text.startswith("the AWS access key id is not known to S3: ")
    assert f"the key AKIA…0001 came from profile 'default' in {accounts.credentials_file}" in text
    assert "aws configure --profile default" in text
    assert "choose another AWS profile (Settings → AWS connection, or HMA_AWS_PROFILE)" in text
    assert UNKNOWN_KEY_ID not in text and UNKNOWN_SECRET not in text


def test_a_refused_key_from_the_environment_says_so(
    accounts: Accounts,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", UNKNOWN_SECRET)
    text = str(refusal())
    assert "the key AKIA…MENT came from the environment variable AWS_ACCESS_KEY_ID" in text
    assert "fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment" in text
    assert UNKNOWN_SECRET not in text


def test_the_chosen_profile_is_the_key_the_next_client_sends(
    accounts: Accounts,  # noqa: F811
) -> None:
    client = make_s3_client(load_settings(aws_profile="work"))
    # moto accepts only the work profile's key: the request carried it
    assert client.list_objects_v2(Bucket=accounts.mba_bucket, MaxKeys=1)["KeyCount"] == 0
    assert "profile 'default'" in str(refusal(None))


@pytest.mark.parametrize(
    ("source", "words", "advice"),
    [
        (
            CredentialSource("sso", "team"),
            "the key came from AWS SSO (profile 'team')",
            "aws sso login --profile team",
        ),
        (
            CredentialSource("assume-role", "ops", "ASIAROLEKEY123456789"),
            "the key ASIA…6789 came from a role assumed by profile 'ops'",
            "aws sts get-caller-identity --profile ops",
        ),
        (
            CredentialSource("iam-role", None, "ASIAINSTANCE0000ROLE"),
            "the key ASIA…ROLE came from this machine's EC2 instance role",
            "choose another AWS profile",
        ),
    ],
)
def test_every_source_in_plain_words(source: CredentialSource, words: str, advice: str) -> None:
    assert source.describe().startswith(words)
    assert advice in source.advice()


def test_a_key_id_is_never_shown_whole() -> None:
    assert mask_key_id("AKIAIOSFODNN7EXAMPLE") == "AKIA…MPLE"
    assert mask_key_id("SHORTKEY") == "…"
    assert mask_key_id(None) == ""


# ------------------------------------------------------------------ check_connection


def test_the_connection_check_names_who_and_lists_every_scope(
    accounts: Accounts,  # noqa: F811
) -> None:
    report = check_connection(load_settings(aws_profile="work"))
    text = report.text()
    assert report.ok, text
    assert "✓ who: account 123456789012, arn:aws:iam::123456789012:user/work" in text
    assert "a local test endpoint (sandbox, moto), not AWS" in text
    assert f"✓ scope mba: s3://{accounts.mba_bucket}/mba/ — bucket found" in text
    assert f"✓ scope policy: s3://{accounts.policy_bucket}/policy/ — bucket found" in text
    assert "nothing was written, so write permission is not tested" in text
    assert text.splitlines()[0].startswith("Connection works — checked in ")
    assert accounts.moto.client().list_objects_v2(Bucket=accounts.mba_bucket)["KeyCount"] == 0


def test_a_refused_key_fails_the_check_once_and_says_why(
    accounts: Accounts,  # noqa: F811
) -> None:
    report = check_connection(load_settings())
    failed = [line for line in report.lines if line.status is LineStatus.FAILED]
    assert len(failed) == 1  # every further request would be refused alike
    assert "came from profile 'default'" in failed[0].text
    assert not report.ok


def test_a_missing_bucket_fails_its_scope_only(
    accounts: Accounts,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HMA_POLICY_BUCKET", "no-such-bucket-here")
    report = check_connection(load_settings(aws_profile="work"))
    text = report.text()
    assert f"✓ scope mba: s3://{accounts.mba_bucket}/mba/" in text
    missing = "✗ scope policy: s3://no-such-bucket-here/policy/ — bucket 'no-such-bucket-here' "
    assert missing + "does not exist" in text


def test_no_credentials_at_all_is_one_clear_line() -> None:
    report = check_connection(load_settings(s3_endpoint_url=f"http://127.0.0.1:{free_port()}"))
    assert not report.ok
    assert "✗ credentials: no AWS credentials found" in report.text()


def test_a_dead_endpoint_answers_at_once(
    accounts: Accounts,  # noqa: F811
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    report = check_connection(load_settings(aws_profile="work", s3_endpoint_url=dead))
    assert not report.ok
    assert f"✗ cannot reach {dead}" in report.text()
    assert report.seconds < 5


def test_a_silent_endpoint_gives_up_after_the_timeout(
    accounts: Accounts,  # noqa: F811
) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        import boto3  # noqa: F401 - loaded outside the timing (the app loads it lazily)

        started = time.monotonic()
        report = check_connection(
            load_settings(aws_profile="work", s3_endpoint_url=endpoint), timeout=1.0
        )
        took = time.monotonic() - started
    assert not report.ok
    assert f"✗ cannot reach {endpoint}" in report.text()
    assert took < 4  # one request, one attempt, 1 s read timeout; not one per scope


def test_an_unknown_profile_is_named_with_the_files_it_was_looked_for_in(
    accounts: Accounts,  # noqa: F811
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_s3_client(load_settings(aws_profile="nosuch"))
    text = str(caught.value)
    assert text.startswith("AWS profile 'nosuch' was not found in ")
    assert str(accounts.credentials_file) in text and "HMA_AWS_PROFILE" in text
