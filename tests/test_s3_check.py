"""The S3 check against moto's server: the classes, how each was decided, what it cost."""

from __future__ import annotations

import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.duplicates.check import check_jobs
from hma_gui.core.duplicates.s3_check import Comparison, S3Class, S3Finding
from hma_gui.core.hashes.hash_cache import HashCache
from hma_gui.core.jobs.plan import PlanOptions, plan
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.upload.upload_config import UploadConfig
from hma_gui.core.upload.uploader import Uploader
from tests.conftest import S3Env
from tests.dupes_trees import MiB, md5hex, write

pytestmark = pytest.mark.integration


class RequestLog:
    """Counts the requests a client sends, by kind (botocore's before-send event)."""

    def __init__(self, client: Any) -> None:
        self.kinds: Counter[str] = Counter()
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request: Any, **_: object) -> None:
        url = request.url
        if request.method == "GET" and "list-type=2" in url:
            self.kinds["LIST"] += 1
        else:
            self.kinds[request.method] += 1


def run_check(root: Path, **kwargs: Any) -> tuple[dict[str, S3Finding], RequestLog, Any]:
    settings = load_settings()
    client = make_s3_client(settings)
    log = RequestLog(client)
    planned = plan([root], settings, PlanOptions.from_settings(settings))
    review = check_jobs(planned.jobs, settings=settings, client=client, **kwargs)
    assert review.s3 is not None
    return {Path(f.path).name: f for f in review.s3.findings}, log, review


def test_every_class_and_how_it_was_decided(s3_env: S3Env, tmp_path: Path) -> None:
    from boto3.s3.transfer import TransferConfig  # here, not at collection: 0.3-0.6 s

    s3: Any = s3_env.client
    bucket = s3_env.mba_bucket
    csv = tmp_path / "data" / "mba" / "csv"
    same = write(csv / "same.csv", b"member,plan\n1,A\n")
    s3.put_object(Bucket=bucket, Key="mba/csv/same.csv", Body=same.read_bytes())  # other tool
    write(csv / "changed.csv", b"member,plan\n1,B\n")  # same size as S3's
    s3.put_object(Bucket=bucket, Key="mba/csv/changed.csv", Body=b"member,plan\n1,C\n")
    write(csv / "grown.csv", b"member,plan\n1,A\n2,B\n")
    s3.put_object(Bucket=bucket, Key="mba/csv/grown.csv", Body=b"member,plan\n")
    moved = write(csv / "renamed.csv", os.urandom(3000))
    s3.put_object(Bucket=bucket, Key="mba/csv/2023/original.csv", Body=moved.read_bytes())
    write(csv / "brand-new.csv", os.urandom(3000))  # same size as original.csv, other bytes

    # a multipart object uploaded by our uploader: compared through its md5 metadata
    ours = write(csv / "ours-multipart.csv", os.urandom(6 * MiB))
    uploader = Uploader(
        make_s3_client(load_settings()),
        UploadConfig(multipart_threshold=5 * MiB, part_size=5 * MiB),
    )
    uploader.upload(ours, bucket, "mba/csv/ours-multipart.csv")
    uploader.upload(ours, bucket, "mba/csv/archive/ours-copy.csv")
    write(csv / "copy-of-ours.csv", ours.read_bytes())
    uploader.close()
    # a multipart object by another tool (boto3's upload_file, 5 MiB parts): no metadata
    theirs = write(csv / "theirs-multipart.csv", os.urandom(11 * MiB))
    transfer = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB)
    s3.upload_file(str(theirs), bucket, "mba/csv/theirs-multipart.csv", Config=transfer)
    # another tool's multipart object with an unusual part size: nothing can decide
    odd = write(csv / "odd-parts.csv", os.urandom(11 * MiB))
    other = bytearray(odd.read_bytes())
    other[-1] ^= 0xFF
    odd_transfer = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=7 * MiB)
    (tmp_path / "other.bin").write_bytes(bytes(other))
    s3.upload_file(
        str(tmp_path / "other.bin"), bucket, "mba/csv/odd-parts.csv", Config=odd_transfer
    )

    found, log, _ = run_check(tmp_path / "data")

    def check(name: str, s3_class: S3Class, how: Comparison) -> S3Finding:
        finding = found[name]
        assert (finding.s3_class, finding.how) == (s3_class, how), finding
        return finding

    check("same.csv", S3Class.ALREADY_UPLOADED, Comparison.ETAG_MD5)
    assert found["same.csv"].s3_etag == md5hex(same.read_bytes())
    assert found["same.csv"].s3_last_modified is not None
    check("changed.csv", S3Class.CONFLICT, Comparison.ETAG_MD5)
    check("grown.csv", S3Class.CONFLICT, Comparison.SIZE)
    elsewhere = check("renamed.csv", S3Class.DUPLICATE_ELSEWHERE, Comparison.ETAG_MD5)
    assert elsewhere.other_keys == ("mba/csv/2023/original.csv",)
    check("brand-new.csv", S3Class.NEW, Comparison.ETAG_MD5)
    mine = check("ours-multipart.csv", S3Class.ALREADY_UPLOADED, Comparison.METADATA_MD5)
    assert mine.s3_etag is not None and mine.s3_etag.endswith("-2")
    assert "md5 metadata" in mine.detail
    copy = check("copy-of-ours.csv", S3Class.DUPLICATE_ELSEWHERE, Comparison.METADATA_MD5)
    assert set(copy.other_keys) == {"mba/csv/archive/ours-copy.csv", "mba/csv/ours-multipart.csv"}
    recomputed = check("theirs-multipart.csv", S3Class.ALREADY_UPLOADED, Comparison.MULTIPART_ETAG)
    assert "5 MiB parts" in recomputed.detail
    undecided = check("odd-parts.csv", S3Class.UNDECIDED, Comparison.UNDECIDABLE)
    assert "without md5 metadata" in undecided.detail
    assert found["ours-multipart.csv"].md5 == md5hex(ours.read_bytes())

    # One listing; HEADs only for the multipart objects of a local file's size (3 of ours,
    # theirs, odd) and the one same-size single-part mismatch (changed.csv: SSE-KMS?).
    assert log.kinds == Counter({"LIST": 1, "HEAD": 5})


def test_sse_kms_objects_are_compared_by_metadata_or_reported_undecidable(
    s3_env: S3Env, tmp_path: Path
) -> None:
    s3: Any = s3_env.client
    bucket = s3_env.mba_bucket
    csv = tmp_path / "data" / "mba" / "csv"
    # On AWS a KMS object's ETag is not its MD5. moto's is; an object of other bytes with
    # the local file's MD5 in its metadata stands for that case.
    kept = write(csv / "kms-ours.csv", b"A" * 100)
    s3.put_object(
        Bucket=bucket, Key="mba/csv/kms-ours.csv", Body=b"Z" * 100, ServerSideEncryption="aws:kms",
        Metadata={"md5": md5hex(kept.read_bytes())},
    )  # fmt: skip
    write(csv / "kms-theirs.csv", b"B" * 100)
    s3.put_object(
        Bucket=bucket, Key="mba/csv/kms-theirs.csv", Body=b"Y" * 100,
        ServerSideEncryption="aws:kms",
    )  # fmt: skip

    found, log, _ = run_check(tmp_path / "data")

    ours = found["kms-ours.csv"]
    assert (ours.s3_class, ours.how) == (S3Class.ALREADY_UPLOADED, Comparison.METADATA_MD5)
    assert "SSE-KMS" in ours.detail
    theirs = found["kms-theirs.csv"]
    assert (theirs.s3_class, theirs.how) == (S3Class.UNDECIDED, Comparison.UNDECIDABLE)
    assert "SSE-KMS object without md5 metadata" in theirs.detail
    assert log.kinds == Counter({"LIST": 1, "HEAD": 2})


def test_with_kms_uploads_copies_under_other_keys_are_found_by_metadata(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3: Any = s3_env.client
    bucket = s3_env.mba_bucket
    local = write(tmp_path / "data" / "mba" / "csv" / "renamed.csv", b"C" * 100)
    s3.put_object(
        Bucket=bucket, Key="mba/csv/2023/original.csv", Body=b"X" * 100,
        ServerSideEncryption="aws:kms", Metadata={"md5": md5hex(local.read_bytes())},
    )  # fmt: skip
    found, log, _ = run_check(tmp_path / "data")
    assert found["renamed.csv"].s3_class is S3Class.NEW  # ETag differs; KMS not expected
    assert log.kinds == Counter({"LIST": 1})

    monkeypatch.setenv("HMA_SSE", "aws:kms")
    found, log, _ = run_check(tmp_path / "data")
    renamed = found["renamed.csv"]
    assert (renamed.s3_class, renamed.how) == (S3Class.DUPLICATE_ELSEWHERE, Comparison.METADATA_MD5)
    assert renamed.other_keys == ("mba/csv/2023/original.csv",)
    assert log.kinds == Counter({"LIST": 1, "HEAD": 1})


def test_one_list_call_per_thousand_objects_and_no_head_per_file(
    s3_env: S3Env, tmp_path: Path
) -> None:
    s3: Any = s3_env.client
    bucket = s3_env.mba_bucket
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda n: s3.put_object(
                    Bucket=bucket, Key=f"mba/csv/old/{n:05d}.csv", Body=b"x" * n
                ),
                range(1, 1201),
            )
        )
    csv = tmp_path / "data" / "mba" / "csv"
    for n in range(40):  # new files whose sizes match old objects: hashed, never HEADed
        write(csv / f"new-{n}.csv", b"y" * (n + 1))
    write(csv / "old" / "00007.csv", b"x" * 7)  # already uploaded
    write(csv / "old" / "00008.csv", b"x" * 9)  # conflict by size

    cache = HashCache(tmp_path / "cache.db")
    found, log, review = run_check(tmp_path / "data", cache=cache)
    cache.close()

    assert log.kinds == Counter({"LIST": 2})  # ceil(1,200 / 1,000), no HEAD at all
    assert review.s3.listed == {f"s3://{bucket}/mba/": 1200}
    assert review.s3.requests.list_calls == 2 and review.s3.requests.head_calls == 0
    classes = Counter(f.s3_class for f in found.values())
    assert classes == Counter({S3Class.NEW: 40, S3Class.ALREADY_UPLOADED: 1, S3Class.CONFLICT: 1})


def test_an_inventory_reused_across_checks_lists_once_until_forgotten(
    s3_env: S3Env, tmp_path: Path
) -> None:
    from hma_gui.core.s3.inventory import S3Inventory

    settings = load_settings()
    client = make_s3_client(settings)
    log = RequestLog(client)
    inventory = S3Inventory(client)
    write(tmp_path / "data" / "mba" / "csv" / "a.csv", b"a")
    planned = plan([tmp_path / "data"], settings, PlanOptions.from_settings(settings))
    for _ in range(2):
        check_jobs(planned.jobs, settings=settings, client=client, inventory=inventory)
    assert log.kinds == Counter({"LIST": 1})
    inventory.forget()
    check_jobs(planned.jobs, settings=settings, client=client, inventory=inventory)
    assert log.kinds == Counter({"LIST": 2})


def test_many_files_of_one_size_each_get_their_own_class_and_count(
    s3_env: S3Env, tmp_path: Path
) -> None:
    # 60 files of 8 bytes, 60 objects of 8 bytes: the per-size work is done once per size,
    # each file still sees exactly the objects that concern it
    s3: Any = s3_env.client
    bucket = s3_env.mba_bucket
    csv = tmp_path / "data" / "mba" / "csv"
    body = [f"row,{n:03d}\n".encode() for n in range(80)]  # 8 bytes each, all different
    for n in range(20):  # already uploaded: same key, same bytes
        write(csv / f"up-{n}.csv", body[n])
        s3.put_object(Bucket=bucket, Key=f"mba/csv/up-{n}.csv", Body=body[n])
    for n in range(20, 40):  # same bytes under another key
        write(csv / f"moved-{n}.csv", body[n])
        s3.put_object(Bucket=bucket, Key=f"mba/csv/2023/was-{n}.csv", Body=body[n])
    for n in range(40, 60):  # new: objects of the same size hold other bytes
        write(csv / f"new-{n}.csv", body[n])
        s3.put_object(Bucket=bucket, Key=f"mba/csv/2024/other-{n}.csv", Body=body[n + 20])
    found, log, _ = run_check(tmp_path / "data")
    classes = Counter(f.s3_class for f in found.values())
    assert classes == Counter({S3Class.ALREADY_UPLOADED: 20, S3Class.DUPLICATE_ELSEWHERE: 20,
                               S3Class.NEW: 20})  # fmt: skip
    assert found["moved-25.csv"].other_keys == ("mba/csv/2023/was-25.csv",)
    assert found["new-45.csv"].detail == (
        "no object at this key; 60 of the same size hold other content"
    )
    assert found["up-3.csv"].how is Comparison.ETAG_MD5
    assert log.kinds == Counter({"LIST": 1})  # single-part ETags: no HEAD at all
