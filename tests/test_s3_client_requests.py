"""What the shared S3 client puts on the wire (moto's server over HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.s3.client import EXPECT_CONTINUE_MIN_BYTES, SEND_BLOCK, make_s3_client

pytestmark = pytest.mark.integration


def _record_headers(client: Any) -> list[tuple[str, dict[str, str]]]:
    seen: list[tuple[str, dict[str, str]]] = []

    def before_send(request: Any, **_: Any) -> None:
        headers = {
            k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
        }
        seen.append((request.method, headers))

    client.meta.events.register("before-send.s3", before_send)
    return seen


def test_small_bodies_are_sent_without_waiting_for_100_continue(s3_env: Any) -> None:
    client = make_s3_client(load_settings())
    seen = _record_headers(client)
    client.put_object(Bucket=s3_env.mba_bucket, Key="small", Body=b"x" * 1000)
    client.put_object(Bucket=s3_env.mba_bucket, Key="empty", Body=b"")
    puts = [headers for method, headers in seen if method == "PUT"]
    assert len(puts) == 2
    assert all("Expect" not in headers for headers in puts)
    assert s3_env.read(s3_env.mba_bucket, "small") == b"x" * 1000


def test_large_bodies_still_ask_for_100_continue(s3_env: Any) -> None:
    client = make_s3_client(load_settings())
    seen = _record_headers(client)
    body = b"y" * EXPECT_CONTINUE_MIN_BYTES
    client.put_object(Bucket=s3_env.mba_bucket, Key="large", Body=body)
    puts = [headers for method, headers in seen if method == "PUT"]
    assert puts and puts[0].get("Expect") == "100-continue"
    assert s3_env.head(s3_env.mba_bucket, "large")["ContentLength"] == len(body)


def test_a_streamed_body_is_read_and_reported_in_blocks_of_a_mib(
    s3_env: Any, tmp_path: Any
) -> None:
    from hma_gui.core.upload.uploader import IN_MEMORY_MAX, Uploader

    path = tmp_path / "big.bin"
    path.write_bytes(b"m" * (IN_MEMORY_MAX + 3 * SEND_BLOCK))  # streamed from disk
    steps: list[int] = []

    def sink(delta: int) -> None:
        steps.append(delta)

    uploader = Uploader.for_settings(load_settings(), make_s3_client(load_settings()))
    try:
        uploader.upload(path, s3_env.mba_bucket, "big.bin", progress=sink)
    finally:
        uploader.close()
    assert sum(steps) == path.stat().st_size
    # one read, hash and report per MiB: urllib3's 16 KiB blocks would be 64 times as many
    assert len(steps) <= path.stat().st_size // SEND_BLOCK + 2
