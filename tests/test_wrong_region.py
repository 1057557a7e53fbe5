"""A bucket in another region than the settings': botocore follows S3, so it sends.

obstore and `stream_put` sign for the settings' region and do not follow S3's 301;
the uploader and the lazy client hand such a bucket to botocore (which asks again
in the bucket's region on AWS; moto answers it here). The fault proxy answers the
direct paths' requests (User-Agent ``hma-ingest``) with that 301, and forwards
botocore's to moto.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.uploader import Uploader
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
DIRECT_AGENT = "hma-ingest"  # obstore's and stream_put's User-Agent (botocore's is longer)


def _file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("first", [1024, 3 * MiB], ids=["obstore-first", "http.client-first"])
def test_the_first_redirect_hands_the_bucket_to_botocore(
    first: int, s3_env: S3Env, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.redirect_agent(DIRECT_AGENT)
    settings = load_settings()
    uploader = Uploader.for_settings(settings, make_s3_client(settings))
    assert uploader.transfer == "obstore"
    files = [_file(tmp_path / f"f{n}.csv", size) for n, size in enumerate([first, 1024, 3 * MiB])]
    seen: list[int] = []
    for path in files:
        sink: list[int] = []
        result = uploader.upload(path, s3_env.mba_bucket, path.name, progress=sink.append)
        assert result.md5 == result.etag == _md5(path)
        assert sum(sink) == path.stat().st_size
        seen.append(proxy.redirected)
    uploader.close()
    assert seen == [1, 1, 1]  # one refused request; botocore sent every file
    stored = s3_env.client.list_objects_v2(Bucket=s3_env.mba_bucket)["Contents"]  # type: ignore[attr-defined]
    assert sorted((o["Key"], o["ETag"].strip('"')) for o in stored) == sorted(
        (p.name, _md5(p)) for p in files
    )


def test_the_command_line_lists_and_uploads_through_botocore_after_a_redirect(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MBA_PREFIX", "far/")
    proxy.redirect_agent(DIRECT_AGENT)
    folder = tmp_path / "data"
    folder.mkdir()
    files = [_file(folder / f"MBA_{n}.csv", 1024 * (n + 1)) for n in range(6)]
    files.append(_file(folder / "MBA_large.csv", 3 * MiB))
    result = run_cli("upload", "--concurrency", "2", "--scope", "mba", str(folder))
    assert result.code == 0, result.out + result.err
    assert "7 uploaded" in result.out
    # the listing's one request, then at most one PUT per upload thread before the hand-over
    assert 1 <= proxy.redirected <= 3
    stored = s3_env.client.list_objects_v2(Bucket=s3_env.mba_bucket)["Contents"]  # type: ignore[attr-defined]
    assert sorted(o["ETag"].strip('"') for o in stored) == sorted(_md5(p) for p in files)
