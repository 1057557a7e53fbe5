"""The settings a local duplicate check keeps (`hma_gui.core.config.local_settings`).

A re-run with unchanged inputs reads the kept values instead of importing pydantic;
any changed input (a variable, the .env, settings.toml) loads the full model again,
with its values and its errors.
"""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from hma_gui.cli.main import main
from hma_gui.core import app_dirs
from hma_gui.core.config.local_settings import (
    LocalCheckSettings,
    fingerprint,
    keep,
    kept_path,
    read_kept,
)
from hma_gui.core.config.settings import load_settings
from tests.early import Results, cli_probe, outputs, python, starts_early


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


def test_kept_values_are_the_full_models(monkeypatch: pytest.MonkeyPatch) -> None:
    _settings_toml('exclude = ["tmp"]\nhash_workers = 3\n')
    monkeypatch.setenv("HMA_INCLUDE", "csv,pdf")
    monkeypatch.setenv("HMA_SKIP_HIDDEN", "false")
    full = LocalCheckSettings.of(load_settings())
    assert full == LocalCheckSettings(("csv", "pdf"), ("tmp",), False, False, 3)
    assert read_kept(None) is None  # nothing kept yet
    keep(full, fingerprint(None))
    assert read_kept(None) == full
    assert stat.S_IMODE(kept_path().stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "change",
    ["variable", "lower-case variable", "settings file", "env file", "endpoint"],
)
def test_any_changed_input_discards_the_kept_values(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings_toml("hash_workers = 3\n")
    keep(LocalCheckSettings.of(load_settings()), fingerprint(None))
    assert read_kept(None) is not None
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
    assert read_kept(None) is None


def test_a_named_env_file_is_part_of_the_inputs(tmp_path: Path) -> None:
    named = tmp_path / "other.env"
    named.write_text("HMA_INCLUDE=csv\n", encoding="utf-8")
    keep(LocalCheckSettings.of(load_settings(env_file=named)), fingerprint(named))
    assert read_kept(named) == LocalCheckSettings(("csv",), (), True, False, 4)
    assert read_kept(None) is None  # not the config folder's .env
    named.write_text("HMA_INCLUDE=pdf\n", encoding="utf-8")
    assert read_kept(named) is None


def test_a_damaged_kept_file_is_ignored() -> None:
    keep(LocalCheckSettings.of(load_settings()), fingerprint(None))
    kept_path().write_text('{"fingerprint": "x', encoding="utf-8")
    assert read_kept(None) is None
    payload = {"fingerprint": fingerprint(None), "settings": {"include": []}}
    kept_path().write_text(json.dumps(payload), encoding="utf-8")
    assert read_kept(None) is None


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


def test_no_secret_is_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HMA_DB_PASSWORD", "s3cret-value")
    monkeypatch.setenv("HMA_DB_URL", "mysql://user:pa55word@db/x")
    assert _check(str(_tree(tmp_path)))[0] == 0
    text = kept_path().read_text(encoding="utf-8")
    assert "s3cret" not in text and "pa55word" not in text


def check_twice(folder: Path) -> list[list[str]]:
    argv = ["check-duplicates", str(_tree(folder))]
    return python(cli_probe(argv, "'pydantic' in sys.modules"), times=2)


@starts_early(check_twice)
def test_a_rerun_with_kept_values_does_not_import_pydantic(early: Results) -> None:
    assert [out.split() for out in outputs(early)] == [["0", "True"], ["0", "False"]]
