"""Request bodies: progress follows reads and rewinds, and a cancel stops the reads."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from hma_gui.core.progress import ByteProgress, CancelToken
from hma_gui.core.upload.body import BodyCancelled, ProgressBody, ProgressFile
from hma_gui.core.upload.source_file import content_type


def _drain(body: ProgressBody | ProgressFile, block: int = 16384) -> bytes:
    chunks = []
    while chunk := body.read(block):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(params=["memory", "file"])
def make_body(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(data: bytes, sink, cancel=None):  # type: ignore[no-untyped-def]
        if request.param == "memory":
            return ProgressBody(data, sink, cancel)
        path = tmp_path / "body.bin"
        path.write_bytes(data)
        return ProgressFile(open(path, "rb", buffering=0), sink, cancel)

    return make


def test_a_rewind_for_a_retry_never_takes_progress_past_the_size(make_body) -> None:  # type: ignore[no-untyped-def]
    data = bytes(range(256)) * 1000
    board = ByteProgress()
    sink = board.sink(1, len(data))
    body = make_body(data, sink)
    assert _drain(body)[:100] == data[:100]
    assert board.snapshot()[1] == (len(data), len(data))
    body.seek(0)  # what botocore does before a retry
    assert board.snapshot()[1] == (0, len(data))
    assert _drain(body, 7000) == data
    assert board.snapshot()[1] == (len(data), len(data))
    assert board.moved_total() == 2 * len(data)


def test_deltas_add_up_to_the_bytes_read(make_body) -> None:  # type: ignore[no-untyped-def]
    deltas: list[int] = []
    body = make_body(b"x" * 50_000, deltas.append)
    body.read(10_000)
    body.seek(4_000)
    body.read()
    assert deltas == [10_000, -6_000, 46_000]


def test_a_cancelled_body_refuses_to_be_read(make_body) -> None:  # type: ignore[no-untyped-def]
    cancel = CancelToken()
    body = make_body(b"y" * 100_000, None, cancel)
    assert body.read(10) == b"y" * 10
    cancel.cancel("user")
    with pytest.raises(BodyCancelled) as caught:
        body.read(10)
    # botocore passes this type through instead of retrying it as a connection error
    assert isinstance(caught.value, concurrent.futures.CancelledError)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("members.csv", "text/csv"),
        ("MEMBERS.CSV", "text/csv"),
        ("plan.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("export.csv.gz", "application/gzip"),
        ("summary.pdf", "application/pdf"),
        ("extract.dat", "application/octet-stream"),
        ("README", "application/octet-stream"),
    ],
)
def test_the_content_type_is_the_same_on_every_machine(
    name: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the machine's own MIME table says (Windows' registry maps .csv to Excel's
    type where Excel is installed) does not change what an upload carries."""
    import mimetypes

    monkeypatch.setattr(mimetypes, "types_map", {**mimetypes.types_map, ".csv": "x/excel"})
    monkeypatch.setattr(mimetypes, "guess_type", lambda *a, **k: ("application/vnd.ms-excel", None))
    assert content_type(Path(name)) == expected
