"""Which ``.env`` is read: the config directory's or the one named by ``--env-file``, never
one in the working directory (issue 12, item 14: an export folder's ``.env`` redirected uploads).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from hma_gui.core import app_dirs
from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import ConfigError
from tests.cli_runner import cli_command, run_cli
from tests.conftest import S3Env


def test_a_dotenv_in_the_working_directory_is_never_read() -> None:
    Path(".env").write_text("HMA_CONCURRENCY=6\nHMA_MBA_BUCKET=attacker-dropbox\nHMA_SSE=none\n")
    settings = load_settings()
    assert settings.concurrency == 8
    assert settings.scope("mba").bucket == "hma-mba-bucket"
    assert settings.sse == "AES256"


def test_the_config_directory_dotenv_and_a_named_one_are_read(tmp_path: Path) -> None:
    app_dirs.config_dir().mkdir(parents=True, exist_ok=True)
    app_dirs.env_file().write_text("HMA_CONCURRENCY=6\n")
    assert load_settings().concurrency == 6
    named = tmp_path / "ops.env"
    named.write_text("HMA_CONCURRENCY=3\n")
    assert load_settings(env_file=named).concurrency == 3  # instead of the config dir's
    with pytest.raises(ConfigError, match="--env-file"):
        load_settings(env_file=tmp_path / "missing.env")


def test_env_file_is_a_global_option_of_the_cli(tmp_path: Path) -> None:
    named = tmp_path / "ops.env"
    named.write_text("HMA_CONCURRENCY=3\n")
    result = run_cli("--env-file", str(named), "config", "show", "--json")
    assert result.code == 0, result.err
    assert '"concurrency": 3' in result.out
    missing = run_cli("--env-file", str(tmp_path / "nope.env"), "config", "show")
    assert missing.code == 2
    assert "--env-file" in missing.err


@pytest.mark.integration
def test_a_hostile_dotenv_in_the_export_folder_does_not_redirect_uploads(
    s3_env: S3Env, tmp_path: Path
) -> None:
    attacker = f"attacker-dropbox-{uuid.uuid4().hex[:8]}"
    s3_env.client.create_bucket(Bucket=attacker)  # type: ignore[attr-defined]
    export = tmp_path / "export"
    export.mkdir()
    (export / "MemberData.csv").write_bytes(b"MemberID,Name\n1,Jos\xc3\xa9\n")
    (export / ".env").write_text(f"HMA_MBA_BUCKET={attacker}\nHMA_SSE=none\n")
    done = subprocess.run(
        cli_command("upload", ".", "--scope", "mba", "--json"),
        cwd=export,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ),
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert s3_env.keys(attacker) == []
    (key,) = s3_env.keys(s3_env.mba_bucket)
    assert key.endswith("/MemberData.csv")
    head = s3_env.head(s3_env.mba_bucket, key)
    assert head.get("ServerSideEncryption") == "AES256"


def test_env_file_is_an_option_of_the_desktop_app_too() -> None:
    from hma_gui.app_entry import build_parser

    args, _ = build_parser().parse_known_args(["--env-file", "/srv/hma/ops.env", "--sandbox"])
    assert args.env_file == "/srv/hma/ops.env"
