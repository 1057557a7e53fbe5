"""Settings: sources, scopes, and one clear message per bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import ConfigError


def test_defaults() -> None:
    settings = load_settings()
    assert settings.scope("mba").bucket == "hma-mba-bucket"
    assert settings.scope("mba").prefix == "mba/"
    assert settings.scope("policy").bucket == "hma-policy-bucket"
    assert settings.sse == "AES256"
    assert settings.verify_tls is True
    assert settings.db_url is None


def test_environment_overrides_and_scope_shorthands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMA_MBA_BUCKET", "my-mba")
    monkeypatch.setenv("HMA_CLAIMS_BUCKET", "my-claims")
    monkeypatch.setenv("HMA_CONCURRENCY", "3")
    monkeypatch.setenv("HMA_MULTIPART_THRESHOLD", "64MiB")
    monkeypatch.setenv("HMA_INCLUDE", '["CSV", ".pdf"]')
    settings = load_settings()
    assert settings.scope("mba").bucket == "my-mba"
    assert settings.scope("mba").prefix == "mba/"
    assert settings.scope("claims").prefix == "claims/"
    assert settings.scope("policy").bucket == "hma-policy-bucket"
    assert settings.concurrency == 3
    assert int(settings.multipart_threshold) == 64 * 1024 * 1024
    assert settings.include == ["csv", "pdf"]


def test_settings_file_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = app_dirs.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'region = "eu-west-1"\nconcurrency = 5\n[scopes.claims]\nbucket = "claims-b"\n'
        'prefix = "c"\n'
    )
    app_dirs.env_file().write_text("HMA_CONCURRENCY=6\n")  # the config directory's .env
    settings = load_settings()
    assert settings.region == "eu-west-1"
    assert settings.concurrency == 6  # .env beats the settings file
    assert settings.scope("claims").prefix == "c/"
    assert set(settings.scopes) == {"mba", "policy", "claims"}
    monkeypatch.setenv("HMA_CONCURRENCY", "7")
    assert load_settings().concurrency == 7  # the environment beats .env


def test_endpoint_from_hma_or_aws_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000")
    assert load_settings().effective_endpoint() == "http://127.0.0.1:9000"
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", "http://127.0.0.1:9001/")
    assert load_settings().effective_endpoint() == "http://127.0.0.1:9001"


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("HMA_CONCURRENCY", "500", "invalid setting concurrency [HMA_CONCURRENCY"),
        ("HMA_CONCURRENCY", "many", "invalid setting concurrency"),
        ("HMA_SSE", "rot13", "invalid setting sse"),
        ("HMA_MBA_BUCKET", "Bad_Bucket", "invalid setting scopes.mba.bucket [HMA_MBA_BUCKET"),
        ("HMA_MULTIPART_CHUNKSIZE", "1MiB", "invalid setting multipart_chunksize"),
        ("HMA_S3_ENDPOINT_URL", "ftp://x", "invalid setting s3_endpoint_url"),
        ("HMA_MBA_PREFIX", "a/../b", "invalid setting scopes.mba.prefix"),
    ],
)
def test_a_bad_value_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, needle: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert needle in message
    assert "\n" not in message  # one line for one bad value


def test_cross_field_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMA_SSE_KMS_KEY_ID", "alias/x")
    with pytest.raises(ConfigError, match="sse_kms_key_id is set but sse is not 'aws:kms'"):
        load_settings()
    monkeypatch.setenv("HMA_SSE", "aws:kms")
    assert load_settings().sse_kms_key_id == "alias/x"


def test_a_password_never_appears_in_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMA_DB_PASSWORD", "s3cr3t-value")
    monkeypatch.setenv("HMA_CONCURRENCY", "0")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "s3cr3t-value" not in str(info.value)
    settings_repr = repr(load_settings(concurrency=2))
    assert "s3cr3t-value" not in settings_repr


def test_a_broken_settings_file_is_a_clear_error() -> None:
    path = app_dirs.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("concurrency = = 3\n")
    with pytest.raises(ConfigError, match="cannot read settings"):
        load_settings()


def test_reserved_and_bad_scope_names(monkeypatch: pytest.MonkeyPatch) -> None:
    path = app_dirs.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[scopes.auto]\nbucket = "abc"\n')
    with pytest.raises(ConfigError, match="'auto' is reserved"):
        load_settings()
