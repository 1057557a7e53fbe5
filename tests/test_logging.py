"""Secrets never reach a log; the memory handler keeps a bounded tail."""

from __future__ import annotations

import logging

import pytest

from hma_gui.core.logging_setup import MemoryLogHandler, RedactingFilter, redact, setup_logging

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        ("connecting to mysql://etl:hunter2@db.example.com:3306/hma", "hunter2"),
        ("password=hunter2 user=etl", "hunter2"),
        ("{'db_password': 'hunter2'}", "hunter2"),
        (f"aws_secret_access_key = {SECRET}", SECRET),
        (f"got key {SECRET} from env", SECRET),
        ("X-Amz-Security-Token: IQoJb3JpZ2luX2VjEJr//////////wEaCXVz", "IQoJb3JpZ2luX2VjEJr"),
        (
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=0123456789abcdef0123",
            "0123456789abcdef0123",
        ),
    ],
)
def test_redaction_masks_secrets(text: str, leak: str) -> None:
    cleaned = redact(text)
    assert leak not in cleaned
    assert "***" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "uploaded /data/mba/csv/MemberData.csv -> s3://hma-mba-bucket/mba/csv/MemberData.csv",
        "etag 9e107d9d372bb6826bd81d3542a419d6-3 matches",
        "averyveryverylongfilenamewithoutanything.csv",
    ],
)
def test_redaction_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_the_filter_cleans_arguments_and_tracebacks() -> None:
    handler = MemoryLogHandler(capacity=10)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("dsn %s", "mysql://u:topsecret@h/db")
        try:
            raise RuntimeError("password=topsecret")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    records = handler.since(0)
    assert len(records) == 2
    assert all("topsecret" not in text for _, _, text in records)


def test_memory_handler_is_bounded_and_incremental() -> None:
    handler = MemoryLogHandler(capacity=3)
    logger = logging.getLogger("test.memory")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for n in range(5):
            logger.info("line %d", n)
    finally:
        logger.removeHandler(handler)
    records = handler.since(0)
    assert [text.split()[-1] for _, _, text in records] == ["2", "3", "4"]
    last = records[-1][0]
    assert handler.since(last) == []


def test_setup_logging_writes_the_file_redacted(tmp_path: object) -> None:
    from hma_gui.core.logging_setup import log_file_path

    setup_logging(console=False)
    logging.getLogger("hma_gui.test").warning("token=abc123secret")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file_path().read_text()
    assert "token=***" in text and "abc123secret" not in text
