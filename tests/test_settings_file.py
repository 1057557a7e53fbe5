"""The settings file writer: merged, validated before writing, atomic, private."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest
from pydantic import ByteSize, SecretStr

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import ScopeSettings, load_settings
from hma_gui.core.config.settings_file import read_settings_file, save_settings, to_toml_value
from hma_gui.core.errors import ConfigError


def _file() -> dict[str, object]:
    return tomllib.loads(app_dirs.settings_file().read_text())


def test_saved_values_are_what_load_settings_reads() -> None:
    path = save_settings(
        {
            "region": "eu-west-1",
            "concurrency": 3,
            "include": ["CSV", ".pdf"],
            "scopes": {"claims": ScopeSettings(bucket="claims-bucket", prefix="c")},
        }
    )
    assert path == app_dirs.settings_file()
    settings = load_settings()
    assert settings.region == "eu-west-1"
    assert settings.concurrency == 3
    assert settings.include == ["csv", "pdf"]
    assert settings.scope("claims").bucket == "claims-bucket"
    assert settings.scope("claims").prefix == "c/"


def test_keys_not_named_are_kept_and_none_removes_a_key() -> None:
    app_dirs.ensure_dir(app_dirs.config_dir())
    app_dirs.settings_file().write_text(
        'db_url = "mysql://etl@db/hma"\nregion = "us-west-2"\n[scopes.mba]\nbucket = "mine"\n'
    )
    save_settings({"region": None, "concurrency": 4, "scopes": {"mba": {"prefix": "m/"}}})
    data = _file()
    assert data["db_url"] == "mysql://etl@db/hma"
    assert "region" not in data
    assert data["concurrency"] == 4
    assert data["scopes"] == {"mba": {"bucket": "mine", "prefix": "m/"}}  # merged key by key


def test_replace_drops_tables_the_caller_no_longer_lists() -> None:
    save_settings({"scopes": {"claims": {"bucket": "claims-b"}, "extra": {"bucket": "extra-b"}}})
    save_settings({"scopes": {"claims": {"bucket": "claims-b"}}}, replace=["scopes"])
    assert set(load_settings().scopes) == {"mba", "policy", "claims"}


def test_a_bad_value_raises_and_leaves_the_file_untouched() -> None:
    save_settings({"concurrency": 5})
    before = app_dirs.settings_file().read_bytes()
    with pytest.raises(ConfigError, match="concurrency"):
        save_settings({"concurrency": 0})
    with pytest.raises(ConfigError, match="not a valid S3 bucket name"):
        save_settings({"scopes": {"mba": {"bucket": "Bad_Bucket"}}})
    assert app_dirs.settings_file().read_bytes() == before
    leftovers = [p.name for p in app_dirs.config_dir().iterdir() if p.name != "settings.toml"]
    assert leftovers == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_file_is_private_to_its_owner() -> None:
    path = save_settings({"concurrency": 2})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("concurrency = = 3\n")
    with pytest.raises(ConfigError, match="cannot read the settings file"):
        read_settings_file(path)
    assert read_settings_file(tmp_path / "missing.toml") == {}


def test_toml_values() -> None:
    assert to_toml_value(ByteSize(1024)) == 1024
    assert type(to_toml_value(ByteSize(1024))) is int
    assert to_toml_value(Path("/a/b")) == "/a/b"
    assert to_toml_value(SecretStr("s")) == "s"
    assert to_toml_value({"a": None, "b": [1, None]}) == {"b": [1]}
    assert to_toml_value(True) is True
