"""The scope's listing started before the plan: one listing, however many ask for it.

`hma-ingest upload --scope X` and `check-duplicates --check-s3 --scope X` start the
S3 check's listing of X's prefix before the local work (`dupes_cmd.listed_early`);
the check then waits for that listing instead of making its own. Through the fault
proxy in front of moto.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.duplicates.s3_check import S3Class
from hma_gui.core.errors import UploadError
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.inventory import S3Inventory
from tests.cli_runner import run_cli
from tests.conftest import S3Env
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration

LIST = "GET list-type"  # a ListObjectsV2 request, as the proxy counts it


def _objects(s3_env: S3Env, count: int) -> None:
    client: Any = s3_env.client
    for n in range(count):
        body = b"x" * (n + 1)  # none empty: obstore lists them all (an empty one: botocore)
        client.put_object(Bucket=s3_env.mba_bucket, Key=f"mba/csv/old-{n}.csv", Body=body)


def test_a_prefetch_and_the_callers_who_ask_meanwhile_share_one_listing(
    s3_env: S3Env, proxy: FaultProxy
) -> None:
    _objects(s3_env, 5)
    proxy.latency = 0.3  # long enough for every caller to arrive while it is out
    inventory = S3Inventory(make_s3_client(load_settings()))
    inventory.prefetch(s3_env.mba_bucket, "mba/")
    found: list[int] = []

    def ask() -> None:
        found.append(len(inventory.listing(s3_env.mba_bucket, "mba/")))

    callers = [threading.Thread(target=ask) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(30)
    assert found == [5, 5, 5]
    assert proxy.requests[LIST] == 1
    assert inventory.requests.list_calls == 1


def test_a_failed_prefetch_is_the_waiting_caller_s_clear_error_and_a_later_call_lists_again(
    s3_env: S3Env, proxy: FaultProxy
) -> None:
    _objects(s3_env, 2)
    proxy.latency = 0.2
    proxy.fail_next(1, 403)
    inventory = S3Inventory(make_s3_client(load_settings()))
    inventory.prefetch(s3_env.mba_bucket, "mba/")
    with pytest.raises(UploadError, match="access denied: the duplicate check may not list"):
        inventory.listing(s3_env.mba_bucket, "mba/")
    assert len(inventory.listing(s3_env.mba_bucket, "mba/")) == 2  # asked again: listed
    assert proxy.requests[LIST] == 2


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "copy.csv").write_bytes(b"x" * 4)  # in S3 already, as mba/csv/old-3.csv
    (folder / "new.csv").write_bytes(b"fresh")
    return folder


def test_upload_with_a_scope_lists_it_once_and_the_check_uses_that_listing(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MBA_PREFIX", "mba/")
    _objects(s3_env, 5)
    folder = _folder(tmp_path)
    result = run_cli("upload", "--scope", "mba", str(folder))
    assert result.code == 0, result.err
    assert "1 uploaded, 1 skipped" in result.out
    assert proxy.requests[LIST] == 1, proxy.log
    assert "mba/csv/export/new.csv" in s3_env.keys(s3_env.mba_bucket)
    assert "mba/csv/export/copy.csv" not in s3_env.keys(s3_env.mba_bucket)  # found in the listing


def test_check_duplicates_with_a_scope_lists_it_once_while_it_hashes(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MBA_PREFIX", "mba/")
    _objects(s3_env, 5)
    folder = _folder(tmp_path)
    (folder / "twin.csv").write_bytes(b"fresh")  # a local copy of new.csv: hashed locally
    result = run_cli("check-duplicates", "--check-s3", "--scope", "mba", "--format", "json",
                     str(folder))  # fmt: skip
    assert result.code != 2, result.err
    s3 = json.loads(result.out)["s3"]
    classes = {Path(f["path"]).name: f["class"] for f in s3["findings"]}
    assert classes["copy.csv"] == S3Class.DUPLICATE_ELSEWHERE.value  # from the listing
    assert classes["new.csv"] == classes["twin.csv"] == S3Class.NEW.value
    assert s3["requests"] == {"list": 1, "head": 0}
    assert proxy.requests[LIST] == 1


@pytest.mark.parametrize("flag", ["--dry-run", "--no-check-s3"])
def test_no_listing_where_nothing_is_compared(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    monkeypatch.setenv("HMA_MBA_PREFIX", "mba/")
    result = run_cli("upload", "--scope", "mba", flag, str(_folder(tmp_path)))
    assert result.code == 0, result.err
    assert proxy.requests[LIST] == 0


def test_a_scope_whose_bucket_is_missing_fails_the_check_clearly_and_uploads_nothing(
    s3_env: S3Env, proxy: FaultProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MBA_BUCKET", "no-such-bucket-here")
    result = run_cli("upload", "--scope", "mba", str(_folder(tmp_path)))
    assert result.code != 0
    assert "the duplicate check failed" in result.err and "nothing was uploaded" in result.err
    assert proxy.requests["PUT "] == 0
