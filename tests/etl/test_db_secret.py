"""Database credentials from an RDS secret: the secret's values win, TLS stays verified."""

from __future__ import annotations

from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import ConfigError
from hma_gui.core.etl.database import DbConfig
from hma_gui.core.etl.db_secret import settings_with_secret

RDS = "hma.abc123.us-east-1.rds.amazonaws.com"


def test_a_full_rds_secret_gives_a_verified_tls_target(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "rds-global-bundle.pem"
    monkeypatch.setenv("HMA_DB_SSL_CA", str(bundle))
    secret = {"username": "etl user", "password": "p@ss:w/rd", "host": RDS, "port": 3307,
              "dbname": "mba"}  # fmt: skip
    config = DbConfig.from_settings(settings_with_secret(load_settings(), secret))
    assert (config.host, config.port, config.user, config.database) == (
        RDS,
        3307,
        "etl user",
        "mba",
    )
    assert config.password == "p@ss:w/rd"
    assert config.ssl and config.ssl_verify and config.ssl_ca == bundle
    assert "p@ss" not in config.display


def test_a_managed_secret_takes_host_and_database_from_db_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HMA_DB_URL", f"mysql://placeholder@{RDS}:3306/mba")
    config = DbConfig.from_settings(
        settings_with_secret(load_settings(), {"username": "admin", "password": "x"})
    )
    assert (config.host, config.user, config.database, config.ssl) == (RDS, "admin", "mba", True)


def test_a_secret_without_host_and_no_db_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="HMA_DB_URL"):
        settings_with_secret(load_settings(), {"username": "a", "password": "b"})
