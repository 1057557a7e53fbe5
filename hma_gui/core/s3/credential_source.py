"""Where the AWS credentials of a client came from, in words, and what to do when refused.

botocore records which provider of its chain found the credentials
(``Credentials.method``: ``env``, ``shared-credentials-file``, ``sso`` …). A
refused key is only fixable when the message says *which* key: the one in the
environment, the one of profile 'x' in ~/.aws/credentials, an SSO sign-in.
The key id is shown masked (first 4 and last 4 characters); the secret never.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CredentialSource",
    "credential_source",
    "mask_key_id",
    "name_source_on_refusal",
    "profile_files",
]

SETTINGS_HINT = "choose another AWS profile (Settings → AWS connection, or HMA_AWS_PROFILE)"


def mask_key_id(key_id: str | None) -> str:
    """``AKIA…WXYZ``: at most the first 4 and last 4 characters of an access key id."""
    if not key_id:
        return ""
    if len(key_id) < 12:
        return "…"  # too short to show any of it without showing most of it
    return f"{key_id[:4]}…{key_id[-4:]}"


def profile_files() -> tuple[str, str]:
    """The AWS config and credentials files botocore reads (as people write them)."""
    config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials"
    return config, credentials


@dataclass(frozen=True)
class CredentialSource:
    """The provider that found the credentials (botocore's method), the profile, the key id."""

    method: str
    profile: str | None = None
    key_id: str | None = None  # shown only masked

    def describe(self) -> str:
        """``from profile 'x' in ~/.aws/credentials`` and the like."""
        config, credentials = profile_files()
        profile = self.profile or "default"
        words = {
            "env": "from the environment variable AWS_ACCESS_KEY_ID",
            "shared-credentials-file": f"from profile '{profile}' in {credentials}",
            "config-file": f"from profile '{profile}' in {config}",
            "sso": f"from AWS SSO (profile '{profile}')",
            "login": f"from an AWS console sign-in (profile '{profile}')",
            "assume-role": f"from a role assumed by profile '{profile}' ({config})",
            "assume-role-with-web-identity": "from a web identity token "
            "(AWS_WEB_IDENTITY_TOKEN_FILE)",
            "custom-process": f"from the credential_process of profile '{profile}' ({config})",
            "iam-role": "from this machine's EC2 instance role",
            "container-role": "from the container's task role",
            "boto-config": "from a legacy boto config file",
            "explicit": "given by HMA Ingest (the sandbox's dummy key)",
        }
        text = words.get(self.method, f"from the AWS credential chain ({self.method})")
        masked = mask_key_id(self.key_id)
        return f"the key {masked} came {text}" if masked else f"the key came {text}"

    def advice(self) -> str:
        """What a person can do about a refused key from this source."""
        profile = self.profile or "default"
        _, credentials = profile_files()
        if self.method == "env":
            return (
                "fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the environment, or "
                f"{SETTINGS_HINT}: a chosen profile wins over them"
            )
        if self.method in ("sso", "login"):
            return f"sign in again: aws sso login --profile {profile}; or {SETTINGS_HINT}"
        if self.method in ("shared-credentials-file", "config-file"):
            return (
                f"fix the key of profile '{profile}' in {credentials} "
                f"(aws configure --profile {profile}), or {SETTINGS_HINT}"
            )
        if self.method in ("assume-role", "custom-process"):
            return (
                f"check profile '{profile}' (aws sts get-caller-identity --profile {profile}), "
                f"or {SETTINGS_HINT}"
            )
        return SETTINGS_HINT


def credential_source(credentials: Any, profile: str | None) -> CredentialSource | None:
    """The source of botocore `credentials` (None: there are none).

    Reads ``access_key`` only when the credentials are not refreshable or are
    already fetched, so naming the source never starts a sign-in.
    """
    if credentials is None:
        return None
    method = str(getattr(credentials, "method", "") or "unknown")
    if "_access_key" in vars(credentials):  # refreshable: the property would refresh them
        key_id = vars(credentials)["_access_key"]
    else:
        key_id = getattr(credentials, "access_key", None)
    return CredentialSource(method, profile, key_id if isinstance(key_id, str) else None)


# The error codes that mean "these credentials were refused" (S3's and STS's).
REFUSED_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "TokenRefreshRequired",
        "UnrecognizedClientException",
    }
)
SOURCE_FIELD = "HmaCredentialSource"  # added to a refused request's parsed error
ADVICE_FIELD = "HmaCredentialAdvice"


def name_source_on_refusal(client: Any, session: Any, *, explicit_key: str | None = None) -> None:
    """Make `client`'s refused requests say where their key came from.

    botocore parses the error into the dict that becomes ``ClientError.response``;
    this handler adds the source and the advice there, so `translate_error` (which
    knows no session) can name them. The credentials are looked at only then.
    """
    profile = session.profile_name if getattr(session, "profile_name", None) else None

    def on_response(parsed: Any = None, **_: Any) -> None:
        error = parsed.get("Error") if isinstance(parsed, dict) else None
        if not isinstance(error, dict) or error.get("Code") not in REFUSED_CODES:
            return
        if explicit_key is not None:
            source: CredentialSource | None = CredentialSource("explicit", None, explicit_key)
        else:
            source = credential_source(session.get_credentials(), profile)
        if source is not None:
            error[SOURCE_FIELD] = source.describe()
            error[ADVICE_FIELD] = source.advice()

    client.meta.events.register("after-call", on_response)
