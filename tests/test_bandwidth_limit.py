"""The process-wide bandwidth limit: a token bucket, its setting, and a paced upload."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.progress import CancelToken
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.bandwidth import BandwidthLimit
from hma_gui.core.upload.uploader import UploadConfig, Uploader

KiB = 1024
MiB = 1024 * KiB


def _send(limit: BandwidthLimit, total: int, block: int = 16 * KiB) -> None:
    for _ in range(total // block):
        limit.take(block)


def test_threads_together_get_the_rate() -> None:
    limit = BandwidthLimit(4 * MiB)
    threads = [threading.Thread(target=_send, args=(limit, 512 * KiB)) for _ in range(3)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 1.5 MiB at 4 MiB/s: 0.375 s; a bucket per thread would take 0.125 s
    assert 0.32 <= time.monotonic() - started <= 0.9


def test_zero_is_no_limit_and_a_change_applies_at_once() -> None:
    limit = BandwidthLimit(0)
    started = time.monotonic()
    _send(limit, 64 * MiB)
    assert time.monotonic() - started < 0.5
    limit.set_rate(MiB)
    assert limit.rate == MiB


def test_a_cancel_ends_the_wait() -> None:
    limit, cancel = BandwidthLimit(KiB), CancelToken()
    threading.Timer(0.05, cancel.cancel).start()
    started = time.monotonic()
    limit.take(MiB, cancel)  # would wait 1,024 s
    assert time.monotonic() - started < 2


def test_the_setting_reads_sizes() -> None:
    assert int(load_settings(bwlimit="500KiB").bwlimit) == 500 * KiB
    assert UploadConfig.from_settings(load_settings(bwlimit="20MiB")).bwlimit == 20 * MiB
    assert int(load_settings().bwlimit) == 0


@pytest.mark.integration
def test_an_upload_is_paced_by_the_limit(
    s3_env: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, transfer: str
) -> None:
    """3 MiB: one PUT carried by `stream_put` or by botocore, paced alike."""
    monkeypatch.setenv("HMA_BWLIMIT", "2MiB")
    path = tmp_path / "paced.bin"
    path.write_bytes(b"x" * (3 * MiB))
    settings = load_settings()
    uploader = Uploader(make_s3_client(settings), UploadConfig.from_settings(settings))
    started = time.monotonic()
    uploader.upload(path, s3_env.mba_bucket, "paced.bin")  # type: ignore[attr-defined]
    elapsed = time.monotonic() - started
    uploader.close()
    assert 1.3 <= elapsed <= 3.0  # 3 MiB at 2 MiB/s


def test_under_a_limit_a_body_is_read_in_small_blocks_and_whole_mibs_without(
    tmp_path: Path,
) -> None:
    import io

    from hma_gui.core.upload.body import ProgressFile

    path = tmp_path / "body.bin"
    path.write_bytes(b"b" * (2 * MiB))
    for rate, block in ((0, MiB), (256 * KiB, 16 * KiB), (8 * MiB, 512 * KiB)):
        steps: list[int] = []

        def sink(delta: int) -> None:
            steps.append(delta)  # noqa: B023 - read within this round

        with ProgressFile(io.FileIO(path), sink, limit=BandwidthLimit(rate)) as body:
            read = [len(body.read(MiB)) for _ in range(2 if rate == 0 else 4)]  # ~0.25 s paced
            assert read == [block] * len(read), rate
            assert steps == read
            if rate != 256 * KiB:
                body.seek(0)
                assert len(body.read()) == 2 * MiB  # without a size: all of it, paced or not
