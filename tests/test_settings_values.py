"""Setting values as people write them: plain lists in the environment, S3's bucket rules."""

from __future__ import annotations

import pytest

from hma_gui.core.config.bucket_names import bucket_name_problem
from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import ConfigError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("csv", ["csv"]),
        ("csv,pdf", ["csv", "pdf"]),
        (" CSV , .pdf ,", ["csv", "pdf"]),
        ('["csv", ".PDF"]', ["csv", "pdf"]),
        ("", []),
    ],
)
def test_list_settings_accept_a_plain_list_or_json(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("HMA_INCLUDE", value)
    monkeypatch.setenv("HMA_EXCLUDE", value)
    settings = load_settings()
    assert settings.include == expected
    assert settings.exclude == expected


def test_broken_json_list_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMA_INCLUDE", '["csv"')
    with pytest.raises(ConfigError, match=r"invalid setting include \[HMA_INCLUDE"):
        load_settings()


@pytest.mark.parametrize(
    "name",
    [
        "192.168.5.4",
        "xn--abc",
        "a.-b",
        "a-.b",
        "my-bucket-s3alias",
        "my-bucket--ol-s3",
        "sthree-bucket",
        "sthree-configurator",
        "amzn-s3-demo-bucket",
        "my-bucket.mrap",
        "my-bucket--x-s3",
        "my-bucket--table-s3",
        "ab",
        "a" * 64,
        "Bad_Bucket",
        "a..b",
        "-abc",
        "abc-",
    ],
)
def test_invalid_bucket_names_are_refused(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    assert bucket_name_problem(name) is not None
    monkeypatch.setenv("HMA_MBA_BUCKET", name)
    with pytest.raises(ConfigError, match=r"invalid setting scopes\.mba\.bucket"):
        load_settings()


@pytest.mark.parametrize(
    "name", ["abc", "my.bucket.name", "a1-b2", "192.168.5.4a", "x" * 63, "s3alias-first"]
)
def test_valid_bucket_names_are_accepted(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    assert bucket_name_problem(name) is None
    monkeypatch.setenv("HMA_MBA_BUCKET", name)
    assert load_settings().scope("mba").bucket == name
