"""The local file under upload: read whole with few system calls, typed by its suffix."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from pathlib import Path, PurePosixPath

import pytest

from hma_gui.core.errors import SourceFileError
from hma_gui.core.upload.source_file import _read_to_end, _suffix_of, content_type, read_stable


@pytest.mark.parametrize(
    "name",
    ["a.csv", "a.tar.gz", ".bashrc", "a.", "noext", "dir.d/file", "dir.d/.hidden", "x/..", "a..b"],
)
def test_the_suffix_is_pathlibs(name: str) -> None:
    assert _suffix_of(f"/data/{name}") == PurePosixPath(f"/data/{name}").suffix


def test_the_content_type_is_the_same_for_text_and_a_path() -> None:
    assert content_type("/x/Report.CSV") == content_type(Path("/x/Report.CSV")) == "text/csv"
    assert content_type("/x/.csv") == "application/octet-stream"  # a dotfile has no suffix


def test_a_pipe_that_answers_in_pieces_is_read_to_its_end() -> None:
    data = os.urandom(300_000)  # more than a pipe holds: every read returns a part
    reader, writer = os.pipe()

    def write() -> None:
        with contextlib.suppress(BrokenPipeError), os.fdopen(writer, "wb") as out:
            out.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        read = _read_to_end(reader, len(data))
    finally:
        os.close(reader)  # a reader that stopped early: the writer's next write fails
        thread.join(10)
    assert read == data


def test_a_file_larger_or_smaller_than_expected_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"x" * 5000)
    for expected in (0, 100, 4999, 5000, 9000):
        fd = os.open(path, os.O_RDONLY)
        try:
            assert len(_read_to_end(fd, expected)) == 5000
        finally:
            os.close(fd)


def test_read_stable_reads_empty_and_odd_sized_files(tmp_path: Path) -> None:
    for size in (0, 1, 65_537):
        path = tmp_path / f"f{size}"
        path.write_bytes(os.urandom(size))
        data, info = read_stable(str(path), path.stat())
        assert data == path.read_bytes() and info.st_size == size


def test_a_file_that_grew_after_its_stat_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a" * 10)
    before = path.stat()
    path.write_bytes(b"a" * 20)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    data, info = read_stable(path, before)  # a second try with the new identity
    assert len(data) == 20 and info.st_size == 20
    path.unlink()
    with pytest.raises(SourceFileError, match="no longer exists"):
        read_stable(path, info)


def test_the_content_type_table_leaves_mimetypes_and_the_system_tables_alone() -> None:
    code = (
        "import mimetypes, hma_gui.core.upload.source_file as s;"
        "print(mimetypes.inited, mimetypes._db is None, s.content_type('a.csv'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    # not initialised by us (a later mimetypes user still reads its tables), none read
    assert out == ["False", "True", "text/csv"]
