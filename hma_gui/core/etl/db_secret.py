"""Database credentials from AWS Secrets Manager (the Lambda handler, service workers).

``HMA_DB_SECRET_ARN`` names a secret in the RDS format: a JSON object with
``username`` and ``password`` and, for secrets RDS or a rotation function
keeps, ``host``, ``port`` and ``dbname``. Values in the secret win over
``db_url``; what the secret lacks comes from ``db_url`` (so a secret that RDS
manages, which holds only the user and the password, works with
``HMA_DB_URL=mysql://placeholder@my-db.xxxx.rds.amazonaws.com:3306/mba``). The
TLS policy stays that of `DbConfig.from_settings`: verified TLS to any host that
is not loopback. The secret's values never reach a log or a message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import SecretStr

from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import ConfigError

SECRET_FIELDS = ("username", "password")


def make_secrets_client(settings: Settings) -> Any:
    """A Secrets Manager client from the standard AWS chain (``AWS_ENDPOINT_URL_…`` too)."""
    from hma_gui.core.s3.client import AwsSession

    return AwsSession(region_name=settings.region or None).client("secretsmanager")


def read_secret(client: Any, arn: str) -> dict[str, Any]:
    try:
        response = client.get_secret_value(SecretId=arn)
    except Exception as exc:  # noqa: BLE001 - one clear line, never the secret
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise ConfigError(f"cannot read the database secret {arn}: {code}") from None
    try:
        secret = json.loads(response["SecretString"])
    except (KeyError, ValueError):
        raise ConfigError(f"the database secret {arn} is not a JSON object") from None
    if not isinstance(secret, dict) or any(not secret.get(name) for name in SECRET_FIELDS):
        raise ConfigError(f"the database secret {arn} needs 'username' and 'password'")
    return secret


def settings_with_secret(settings: Settings, secret: dict[str, Any]) -> Settings:
    """`settings` whose database is the secret's (user, password, and host/port/db if given)."""
    base = urlsplit(settings.db_url or "")
    host = str(secret.get("host") or base.hostname or "")
    database = str(secret.get("dbname") or base.path.lstrip("/"))
    if not host or not database:
        raise ConfigError(
            "the database secret has no host/dbname: set HMA_DB_URL=mysql://user@host:3306/db too"
        )
    port = int(secret.get("port") or base.port or 3306)
    query = f"?{base.query}" if base.query else ""
    user = quote(str(secret["username"]), safe="")
    url = f"mysql://{user}@{host}:{port}/{quote(database, safe='')}{query}"
    return settings.model_copy(
        update={"db_url": url, "db_password": SecretStr(str(secret["password"]))}
    )


def resolve_db_secret(settings: Settings, client: Any | None = None) -> Settings:
    """`settings` with the secret of ``db_secret_arn`` applied (unchanged without one)."""
    if not settings.db_secret_arn:
        return settings
    secret = read_secret(client or make_secrets_client(settings), settings.db_secret_arn)
    return settings_with_secret(settings, secret)
