"""The key convention and key validation."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath as P

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import KeyValidationError, ScopeError
from hma_gui.core.files.key_convention import (
    MAX_KEY_BYTES,
    build_key,
    detect_scope,
    resolve_target,
    validate_key,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/data/mba/csv/MemberData.csv", "mba/csv/MemberData.csv"),
        ("/data/mba/csv/2024/x.csv", "mba/csv/2024/x.csv"),
        ("/data/mba/MemberData.csv", "mba/csv/MemberData.csv"),
        ("/data/mba/pdf/benefit_coverage.pdf", "mba/pdf/benefit_coverage.pdf"),
        ("/data/mba/reports/q1.pdf", "mba/pdf/reports/q1.pdf"),
        ("/data/MBA/CSV/x.CSV", "mba/csv/x.CSV"),
        ("/data/mba/csv/README", "mba/other/csv/README"),
        ("/a/mba/b/mba/csv/x.csv", "mba/csv/x.csv"),  # the last scope folder counts
    ],
)
def test_keys_follow_the_convention(path: str, expected: str) -> None:
    assert build_key(P(path), scope="mba", prefix="mba/") == expected


def test_a_file_outside_any_scope_folder_keeps_the_dropped_folder() -> None:
    key = build_key(
        P("/home/ana/Exports/2024/x.csv"), scope="mba", prefix="mba/", root=P("/home/ana/Exports")
    )
    assert key == "mba/csv/Exports/2024/x.csv"


def test_a_single_dropped_file_outside_a_scope_folder_goes_under_its_type() -> None:
    path = P("/home/ana/Desktop/x.pdf")
    assert build_key(path, scope="policy", prefix="policy/", root=path) == "policy/pdf/x.pdf"


def test_a_dropped_type_folder_is_not_repeated() -> None:
    key = build_key(P("/tmp/csv/a.csv"), scope="mba", prefix="mba/", root=P("/tmp/csv"))
    assert key == "mba/csv/a.csv"


def test_auto_scope_reads_the_folder_names() -> None:
    assert detect_scope(P("/x/policy/pdf/a.pdf"), ["mba", "policy"]) == "policy"
    assert detect_scope(P("/x/mba/policy/a.pdf"), ["mba", "policy"]) == "policy"
    assert detect_scope(P("/x/Policy/a.pdf"), ["mba", "policy"]) == "policy"
    assert detect_scope(P("/x/y/a.pdf"), ["mba", "policy"]) is None
    # the file name itself is not a folder
    assert detect_scope(P("/x/y/mba"), ["mba", "policy"]) is None


def test_resolve_target_uses_the_scope_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HMA_MBA_BUCKET", "members-prod")
    monkeypatch.setenv("HMA_MBA_PREFIX", "ingest/mba")
    settings = load_settings()
    target = resolve_target(P("/data/mba/csv/MemberData.csv"), settings)
    assert (target.scope, target.bucket, target.key) == (
        "mba",
        "members-prod",
        "ingest/mba/csv/MemberData.csv",
    )
    assert target.uri == "s3://members-prod/ingest/mba/csv/MemberData.csv"


def test_resolve_target_without_a_scope_folder_says_what_to_do() -> None:
    with pytest.raises(ScopeError, match="choose a scope"):
        resolve_target(P("/tmp/x.csv"), load_settings())


def test_resolve_target_rejects_an_unknown_scope() -> None:
    with pytest.raises(ScopeError, match="unknown scope 'claims'"):
        resolve_target(P("/tmp/x.csv"), load_settings(), "claims")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "empty"),
        ("/mba/x.csv", "starts with '/'"),
        ("mba/../x.csv", r"\.\. path segment"),
        ("mba/./x.csv", r"\. path segment"),
        ("mba//x.csv", "empty path segment"),
        ("mba/x\x00.csv", "U\\+0000"),
        ("mba/x\n.csv", "U\\+000A"),
        ("mba/x\x7f.csv", "U\\+007F"),
        ("mba\\x.csv", "backslash"),
        ("mba/" + "é" * 600, "bytes long"),
    ],
)
def test_invalid_keys_are_refused_with_the_reason(key: str, message: str) -> None:
    with pytest.raises(KeyValidationError, match=message):
        validate_key(key)


def test_keys_are_nfc_normalised() -> None:
    decomposed = unicodedata.normalize("NFD", "mba/csv/Zoë Müller.csv")
    assert validate_key(decomposed) == unicodedata.normalize("NFC", decomposed)
    assert validate_key(decomposed) != decomposed


def test_the_byte_limit_is_exact() -> None:
    assert validate_key("a" * MAX_KEY_BYTES)
    with pytest.raises(KeyValidationError):
        validate_key("a" * (MAX_KEY_BYTES + 1))


_segment = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\"),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", ".."))


@given(folders=st.lists(_segment, max_size=5), name=_segment)
def test_any_valid_key_is_accepted_or_refused_for_a_stated_reason(
    folders: list[str], name: str
) -> None:
    key = "/".join(["mba", *folders, name])
    try:
        result = validate_key(key)
    except KeyValidationError as exc:
        text = str(exc)
        assert any(reason in text for reason in ("control character", "bytes long", "path segment"))
        return
    assert result == unicodedata.normalize("NFC", key)
    assert not any(unicodedata.category(ch) == "Cc" for ch in result)
    assert len(result.encode()) <= MAX_KEY_BYTES
    assert ".." not in result.split("/")


@given(folders=st.lists(_segment, max_size=4), name=_segment)
def test_build_key_always_starts_with_prefix_and_type(folders: list[str], name: str) -> None:
    path = P("/", "data", "mba", *folders, name)
    try:
        key = build_key(path, scope="mba", prefix="mba/")
    except KeyValidationError:
        return
    ext = (name.rsplit(".", 1)[1].lower() if "." in name.lstrip(".") else "") or "other"
    assert key.startswith(f"mba/{unicodedata.normalize('NFC', ext)}/")
    assert key.endswith(unicodedata.normalize("NFC", name))
