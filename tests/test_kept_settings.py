"""Settings kept between runs (`hma_gui.core.config.kept_settings`).

A re-run with unchanged inputs builds `KeptSettings` instead of importing pydantic;
any changed input (a variable, the .env, settings.toml) loads the full model again,
with its values and its errors.
"""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hma_gui.cli.main import main
from hma_gui.core import app_dirs
from hma_gui.core.config.kept_settings import (
    KeptSettings,
    fingerprint,
    keep,
    kept_path,
    read_kept,
)
from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.errors import ConfigError
from tests.conftest import S3Env
from tests.early import Results, cli_probe, outputs, python, starts_early


def _kept(env_file: Path | None = None) -> KeptSettings | None:
    return read_kept(fingerprint(env_file))


def _keep(env_file: Path | None = None) -> None:
    seen = fingerprint(env_file)
    keep(load_settings(env_file=env_file), seen)


def _plain(value: Any) -> Any:
    """A field's value, comparable between the model and the kept values (type included)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "bucket"):  # a scope
        return ("scope", value.bucket, value.prefix)
    if hasattr(value, "enabled"):  # a watched folder
        return ("folder", _plain(value.path), value.scope, value.include, value.exclude,
                value.enabled)  # fmt: skip
    if isinstance(value, bool | Path | str | float | type(None)):
        return (type(value).__name__, value)
    if isinstance(value, int):
        return ("int", int(value))
    raise AssertionError(f"a field of a type this test does not know: {value!r}")


def _check(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(["check-duplicates", *args], out, err)
    return status, out.getvalue(), err.getvalue()


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "a").mkdir(parents=True)
    (root / "a" / "one.csv").write_bytes(b"same bytes")
    (root / "two.csv").write_bytes(b"same bytes")
    (root / "three.pdf").write_bytes(b"same bytes")
    return root


def _settings_toml(text: str) -> None:
    path = app_dirs.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_kept_values_are_the_full_models(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _settings_toml(
        'exclude = ["tmp"]\nhash_workers = 3\nsse = "aws:kms"\nsse_kms_key_id = "alias/k"\n'
        f'ca_bundle = "{tmp_path / "ca.pem"}"\nqueue_path_map = {{"X:/exports" = "/srv/x"}}\n'
        '[scopes.claims]\nbucket = "claims-bucket"\nprefix = "c"\n'
        f'[[watch_folders]]\npath = "{tmp_path}"\nscope = "mba"\ninclude = ["csv"]\n'
    )
    monkeypatch.setenv("HMA_INCLUDE", "csv,pdf")
    monkeypatch.setenv("HMA_SKIP_HIDDEN", "false")
    monkeypatch.setenv("HMA_BWLIMIT", "20MiB")
    monkeypatch.setenv("HMA_MBA_BUCKET", "members-bucket")
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("HMA_DB_URL", "mysql://loader@db.example:3306/hma")
    full = load_settings()
    assert _kept() is None  # nothing kept yet
    _keep()
    kept = _kept()
    assert kept is not None
    assert stat.S_IMODE(kept_path().stat().st_mode) == 0o600
    for name in Settings.model_fields:  # every field: same value, same type
        assert _plain(getattr(kept, name)) == _plain(getattr(full, name)), name
    assert full.bwlimit == 20 * 1024 * 1024 and full.scopes["claims"].prefix == "c/"
    assert kept.effective_endpoint() == full.effective_endpoint() == "http://127.0.0.1:9"
    assert kept.scope("claims").bucket == "claims-bucket"
    with pytest.raises(ConfigError) as model_error:
        full.scope("nope")
    with pytest.raises(ConfigError) as kept_error:
        kept.scope("nope")
    assert str(kept_error.value) == str(model_error.value)
    with pytest.raises(AttributeError, match="no field"):
        kept.model_copy  # noqa: B018  (a method of the model only: never used on kept values)


@pytest.mark.parametrize(
    "change",
    ["variable", "lower-case variable", "settings file", "env file", "endpoint"],
)
def test_any_changed_input_discards_the_kept_values(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings_toml("hash_workers = 3\n")
    _keep()
    assert _kept() is not None
    if change == "variable":
        monkeypatch.setenv("HMA_FOLLOW_SYMLINKS", "true")
    elif change == "lower-case variable":  # pydantic-settings reads names in any case
        monkeypatch.setenv("hma_hash_workers", "2")
    elif change == "settings file":
        _settings_toml("hash_workers = 5\n")
    elif change == "env file":
        app_dirs.env_file().write_text("HMA_EXCLUDE=log\n", encoding="utf-8")
    else:
        monkeypatch.setenv("AWS_ENDPOINT_URL", "http://localhost:1")
    assert _kept() is None


def test_a_named_env_file_is_part_of_the_inputs(tmp_path: Path) -> None:
    named = tmp_path / "other.env"
    named.write_text("HMA_INCLUDE=csv\n", encoding="utf-8")
    _keep(named)
    kept = _kept(named)
    assert kept is not None and kept.include == ["csv"]
    assert _kept(None) is None  # not the config folder's .env
    named.write_text("HMA_INCLUDE=pdf\n", encoding="utf-8")
    assert _kept(named) is None


def test_a_damaged_kept_file_is_ignored() -> None:
    _keep()
    kept_path().write_text('{"fingerprint": "x', encoding="utf-8")
    assert _kept() is None
    payload = {"fingerprint": fingerprint(None), "settings": {"include": []}}
    kept_path().write_text(json.dumps(payload), encoding="utf-8")
    assert _kept() is None


def test_check_duplicates_output_and_errors_are_the_same_with_kept_values(
    tmp_path: Path,
) -> None:
    root = _tree(tmp_path)
    _settings_toml('include = ["csv"]\n')
    first = _check(str(root))
    assert first[0] == 0
    assert kept_path().exists()
    second = _check(str(root))
    assert second == first
    assert "three.pdf" not in first[1] and "two.csv" in first[1]

    _settings_toml('include = ["csv"]\nhash_workers = 0\n')  # invalid: never kept
    status, out, err = _check(str(root))
    assert status == 2
    assert out == ""
    assert "configuration error" in err and "hash_workers" in err
    status, _, err2 = _check(str(root))
    assert (status, err2) == (2, err)


@pytest.mark.parametrize(
    "secret",
    [("HMA_DB_PASSWORD", "s3cret-value"), ("HMA_DB_URL", "mysql://user:s3cret-value@db/x"),
     ("HMA_API_TOKEN", "s3cret-value")],
)  # fmt: skip
def test_settings_with_a_secret_are_never_kept(
    secret: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(*secret)
    root = _tree(tmp_path)
    first = _check(str(root))
    assert first[0] == 0
    assert not kept_path().exists()  # each run loads the model: nothing written
    assert _check(str(root)) == first


def test_a_kept_file_holding_a_secret_is_not_used() -> None:
    _keep()
    payload = json.loads(kept_path().read_text(encoding="utf-8"))
    payload["settings"]["db_password"] = "written by hand"
    kept_path().write_text(json.dumps(payload), encoding="utf-8")
    assert _kept() is None


def check_twice(folder: Path) -> list[list[str]]:
    argv = ["check-duplicates", str(_tree(folder))]
    return python(cli_probe(argv, "'pydantic' in sys.modules"), times=2)


@starts_early(check_twice)
def test_a_rerun_with_kept_values_does_not_import_pydantic(early: Results) -> None:
    assert [out.split() for out in outputs(early)] == [["0", "True"], ["0", "False"]]


@pytest.mark.integration
def test_a_second_upload_with_unchanged_settings_does_not_import_pydantic(
    s3_env: S3Env, tmp_path: Path
) -> None:
    report = "'pydantic' in sys.modules, 'pydantic_settings' in sys.modules"
    seen = []
    for run in range(2):
        folder = tmp_path / f"mba{run}"
        folder.mkdir()
        (folder / "members.csv").write_text(f"id\n{run}\n")
        probe = cli_probe(["upload", "--scope", "mba", str(folder)], report)
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        seen.append(done.stdout.split())
    assert seen == [["0", "True", "True"], ["0", "False", "False"]]
    keys = s3_env.keys(s3_env.mba_bucket)
    assert [key.rsplit("/", 2)[-2:] for key in keys] == [
        ["mba0", "members.csv"],
        ["mba1", "members.csv"],
    ]
