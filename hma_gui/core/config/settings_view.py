"""What the settings answer beyond their fields, shared by the full model and kept values.

`Settings` (pydantic) and `kept_settings.KeptSettings` (plain, for a start-up without
pydantic) both inherit these helpers, so a command gets the same answers from either.
This module imports nothing heavy.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from hma_gui.core.errors import ConfigError


class SettingsHelpers:
    """Lookups over the settings' fields; no fields of its own (pydantic sees none)."""

    if TYPE_CHECKING:  # the fields these helpers read; declared by the subclasses
        scopes: dict[str, Any]
        s3_endpoint_url: str | None
        sqs_endpoint_url: str | None
        db_password: Any
        ca_bundle: Any
        verify_tls: bool

    def scope(self, name: str) -> Any:
        try:
            return self.scopes[name]
        except KeyError:
            known = ", ".join(sorted(self.scopes)) or "none"
            raise ConfigError(f"unknown scope {name!r} (configured scopes: {known})") from None

    def effective_endpoint(self) -> str | None:
        """The S3 endpoint boto3 will use, or None for AWS itself."""
        return _endpoint(self.s3_endpoint_url, "AWS_ENDPOINT_URL_S3")

    def effective_sqs_endpoint(self) -> str | None:
        """The SQS endpoint boto3 will use, or None for AWS itself."""
        return _endpoint(self.sqs_endpoint_url, "AWS_ENDPOINT_URL_SQS")

    def botocore_verify(self) -> bool | str | None:
        """botocore's ``verify``: our CA bundle, False, or None to let botocore choose.

        None keeps botocore's own order — ``AWS_CA_BUNDLE``, ``ca_bundle`` in the AWS
        config file, ``REQUESTS_CA_BUNDLE``, then its bundled roots. An explicit True
        would skip them all, refusing a company's TLS-inspecting proxy trusted there.
        """
        if self.ca_bundle:
            return str(self.ca_bundle)
        return None if self.verify_tls else False

    def db_password_value(self) -> str | None:
        return self.db_password.get_secret_value() if self.db_password else None


def _endpoint(setting: str | None, service_variable: str) -> str | None:
    """Ours, else botocore's service-specific variable, else its general one."""
    return setting or os.environ.get(service_variable) or os.environ.get("AWS_ENDPOINT_URL") or None
