"""The key convention and key validation."""

from __future__ import annotations

import unicodedata
from pathlib import PurePath, PurePosixPath, PureWindowsPath
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
    type_folder,
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


def _reference_key(path: PurePath, *, scope: str, prefix: str, root: PurePath | None) -> str:
    """build_key as it was written with pathlib's relative_to (the rules, slowly)."""
    folders = list(path.parent.parts)
    index = next(
        (i for i in range(len(folders) - 1, -1, -1) if folders[i].lower() == scope.lower()), None
    )
    if index is not None:
        below = [*folders[index + 1 :], path.name]
    else:
        try:
            inside = root is not None and root != path and bool(path.relative_to(root).parts)
        except ValueError:
            inside = False
        below = list(path.relative_to(root.parent).parts) if inside and root else [path.name]
    kind = type_folder(path.name)
    if len(below) > 1 and below[0].lower() == kind:
        below = below[1:]
    return validate_key(prefix + kind + "/" + "/".join(below))


def _as_the_reference(path: PurePath, root: PurePath | None) -> None:
    for scope in ("mba", "policy"):
        assert build_key(path, scope=scope, prefix="p/", root=root) == _reference_key(
            path, scope=scope, prefix="p/", root=root
        )


@pytest.mark.parametrize(
    ("path", "root"),
    [
        (PurePosixPath("/data/exports/x.csv"), PurePosixPath("/data/exports")),
        (PurePosixPath("/data/exports/x.csv"), PurePosixPath("/data/exports/x.csv")),
        (PurePosixPath("/data/exports/csv/a/x.csv"), PurePosixPath("/data")),
        (PurePosixPath("/data/exports/x.csv"), PurePosixPath("/other")),
        (PurePosixPath("/data/exports/x.csv"), PurePosixPath("/")),
        (PurePosixPath("/data/Exports/x.csv"), PurePosixPath("/data/exports")),
        (PurePosixPath("/data/mba/sub/x.csv"), PurePosixPath("/data")),
        (PurePosixPath("/data/MBA/csv/x.csv"), None),
        (PurePosixPath("rel/dir/x"), PurePosixPath("rel")),
        (PurePosixPath("/data/exports"), PurePosixPath("/data/exports/deeper")),
        (PureWindowsPath("C:/Data/Exports/x.csv"), PureWindowsPath("c:/data/exports")),
        (PureWindowsPath("C:/Data/Exports/x.csv"), PureWindowsPath("D:/data")),
        (PureWindowsPath("C:/Data/Exports/x.csv"), PureWindowsPath("C:/")),
        (PureWindowsPath("//server/share/dir/x.csv"), PureWindowsPath("//server/share")),
    ],
)
def test_keys_equal_the_pathlib_reference(path: PurePath, root: PurePath | None) -> None:
    _as_the_reference(path, root)


_SEGMENT = st.sampled_from(["mba", "MBA", "policy", "csv", "CSV", "data", "x.csv", "y", "a b"])


@given(
    st.lists(_SEGMENT, min_size=1, max_size=6),
    st.integers(min_value=0, max_value=7),
    st.booleans(),
    st.booleans(),
)
def test_random_paths_key_as_the_pathlib_reference(
    segments: list[str], cut: int, windows: bool, upper_root: bool
) -> None:
    flavour: type[PurePath] = PureWindowsPath if windows else PurePosixPath
    path = flavour("/", *segments, "f.csv")
    root_parts = path.parts[: min(cut, len(path.parts))]
    root = flavour(*root_parts) if root_parts else None
    if root is not None and upper_root:
        root = flavour(str(root).upper())
    _as_the_reference(path, root)
