"""A password inside a URL is masked wherever we print or log it (issue 12, item 12)."""

from __future__ import annotations

import json
import logging

import pytest

from hma_gui.core.logging_setup import MemoryLogHandler, RedactingFilter
from hma_gui.core.redaction import mask_url, redact
from tests.cli_runner import run_cli

DB_URL = "mysql://etl:hunter2@db.example.com:3306/hma?ssl=on"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        (DB_URL, "mysql://etl:***@db.example.com:3306/hma?ssl=on"),
        ("mysql://etl:p@ss@db/hma", "mysql://etl:***@db/hma"),  # an unencoded "@"
        ("mysql://etl:pa/ss:w@db/hma", "mysql://etl:***@db/hma"),  # "/" and ":" too
        ("mysql://:hunter2@db/hma", "mysql://:***@db/hma"),  # no user name
        ("mysql://etl@db/hma", "mysql://etl@db/hma"),  # nothing to hide
        ("https://s3.example.com:9000/bucket", "https://s3.example.com:9000/bucket"),
        ("s3://hma-mba-bucket/mba/csv/a@b.csv", "s3://hma-mba-bucket/mba/csv/a@b.csv"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert redact(f"cannot connect to {url}: refused") == f"cannot connect to {masked}: refused"


@pytest.mark.parametrize("as_json", [False, True])
def test_config_show_masks_the_password_inside_db_url(
    monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setenv("HMA_DB_URL", "mysql://etl:hunter2@db.example.com:3306/hma")
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", "https://key:s3cr3t@s3.example.com")
    monkeypatch.setenv("HMA_DB_PASSWORD", "other-secret")
    result = run_cli("config", "show", *(["--json"] if as_json else []))
    assert result.code == 0, result.err
    for secret in ("hunter2", "s3cr3t", "other-secret"):
        assert secret not in result.out
    if as_json:
        data = json.loads(result.out)
        assert data["db_url"] == "mysql://etl:***@db.example.com:3306/hma"
        assert data["db_password"] == "***"
    else:
        assert "db_url = mysql://etl:***@db.example.com:3306/hma" in result.out


def test_an_invalid_setting_does_not_echo_a_url_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", "ftp://key:s3cr3t@s3.example.com")
    result = run_cli("config", "show")
    assert result.code == 2
    assert "s3_endpoint_url" in result.err
    assert "s3cr3t" not in result.err


def test_the_log_filter_masks_a_url_password_with_an_at_sign() -> None:
    handler = MemoryLogHandler(capacity=10)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.url_masking")
    logger.addHandler(handler)
    try:
        logger.warning("ETL target %s failed", "mysql://etl:pa@ss/w0rd@db/hma")
    finally:
        logger.removeHandler(handler)
    ((_, _, text),) = handler.since(0)
    assert "w0rd" not in text and "pa@" not in text
    assert "mysql://etl:***@db/hma" in text


@pytest.mark.parametrize(
    "url", ["mysql://etl:hunter2@127.0.0.1:1/hma", "postgres://etl:hunter2@db.example.com/hma"]
)
def test_etl_errors_and_the_log_never_show_the_db_url_password(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from hma_gui.core import app_dirs
    from hma_gui.core.logging_setup import log_file_path

    monkeypatch.setenv("HMA_DB_URL", url)
    result = run_cli("-v", "etl")
    assert result.code == 2
    assert "hunter2" not in result.out + result.err
    assert app_dirs.log_dir().is_dir()
    assert "hunter2" not in log_file_path().read_text()
