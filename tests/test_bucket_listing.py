"""The Bucket view's core against moto's server over HTTP: paged listings, the name
filter, lazy HEADs, the ledger's local sources, downloads that check and never
overwrite, deletes."""

from __future__ import annotations

import gc
import hashlib
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import IntegrityError, UploadError
from hma_gui.core.jobs.records import NewJob
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.s3.bucket_listing import BucketLister, HeadCache, NameFilter, local_sources
from hma_gui.core.s3.bucket_objects import delete_keys, download_object, free_path, local_name
from hma_gui.core.s3.client import make_s3_client
from tests.conftest import S3Env

pytestmark = pytest.mark.integration


def put_many(s3_env: S3Env, bucket: str, keys: list[str], threads: int = 8) -> None:
    client = s3_env.client

    def put(key: str) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode())  # type: ignore[attr-defined]

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(put, keys))


def test_name_filter_splits_folder_and_needle() -> None:
    assert NameFilter.parse("") == NameFilter("", "")
    assert NameFilter.parse("Member") == NameFilter("", "member")
    assert NameFilter.parse("csv/2024/Mem") == NameFilter("csv/2024/", "mem")
    assert NameFilter.parse("/csv/") == NameFilter("csv/", "")
    assert NameFilter.parse("csv\\x") == NameFilter("csv/", "x")
    f = NameFilter.parse("csv/mem")
    prefix = f.list_prefix("mba/")
    assert prefix == "mba/csv/"
    assert f.matches("mba/csv/2024/MemberData.csv", prefix)
    assert not f.matches("mba/csv/2024/claims.csv", prefix)
    assert not NameFilter.parse("mba").matches("mba/csv/x.csv", "mba/")  # below the prefix only


def test_listing_pages_1000_at_a_time_and_continues(s3_env: S3Env) -> None:
    keys = [f"mba/csv/f{n:05d}.csv" for n in range(2500)] + ["policy/elsewhere.csv"]
    put_many(s3_env, s3_env.mba_bucket, keys)
    lister = BucketLister(make_s3_client(load_settings()))
    first = lister.fetch(s3_env.mba_bucket, "mba/")
    assert [o.key for o in first.objects] == keys[:1000]
    assert (first.calls, first.scanned, first.complete) == (1, 1000, False)
    second = lister.fetch(s3_env.mba_bucket, "mba/", after=first.cursor)
    assert [o.key for o in second.objects] == keys[1000:2000]
    third = lister.fetch(s3_env.mba_bucket, "mba/", after=second.cursor)
    assert [o.key for o in third.objects] == keys[2000:2500]
    assert third.complete and third.cursor is None
    obj = third.objects[0]
    assert obj.size == len(obj.key) and len(obj.etag) == 32 and obj.last_modified is not None


def test_listed_times_are_utc_and_add_nothing_for_the_garbage_collector(s3_env: S3Env) -> None:
    put_many(s3_env, s3_env.mba_bucket, ["mba/a.csv", "mba/b.csv"])
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    page = BucketLister(make_s3_client(load_settings())).fetch(s3_env.mba_bucket, "mba/")
    times = [o.last_modified for o in page.objects]
    assert all(t is not None and before <= t <= datetime.now(UTC) for t in times)
    assert all(t.tzinfo is UTC for t in times if t)  # not a `tzlocal()` per object
    assert not any(t and gc.is_tracked(t.tzinfo) for t in times)


def test_a_filter_lists_its_folder_on_the_server_and_matches_the_rest_here(
    s3_env: S3Env,
) -> None:
    keys = [f"mba/csv/2023/f{n:04d}.csv" for n in range(1200)]
    keys += [f"mba/csv/2024/f{n:04d}.csv" for n in range(30)]
    keys += ["mba/csv/2024/MemberData.csv", "mba/pdf/MemberData.pdf"]
    put_many(s3_env, s3_env.mba_bucket, keys)
    lister = BucketLister(make_s3_client(load_settings()))
    page = lister.fetch(s3_env.mba_bucket, "mba/", NameFilter.parse("member"))
    assert [o.key for o in page.objects] == [
        "mba/csv/2024/MemberData.csv",
        "mba/pdf/MemberData.pdf",
    ]
    assert page.complete and page.scanned == len(keys) and page.calls == 2
    folder = lister.fetch(s3_env.mba_bucket, "mba/", NameFilter.parse("csv/2024/"))
    assert folder.scanned == 31 and folder.calls == 1  # the server listed the folder only
    assert len(folder.objects) == 31
    narrow = lister.fetch(s3_env.mba_bucket, "mba/", NameFilter.parse("csv/2024/mem"))
    assert [o.key for o in narrow.objects] == ["mba/csv/2024/MemberData.csv"]
    # a filter matching many answers with `want` matches and a cursor, exactly
    some = lister.fetch(s3_env.mba_bucket, "mba/", NameFilter.parse("f0"), want=150)
    assert len(some.objects) == 150 and not some.complete
    rest = lister.fetch(
        s3_env.mba_bucket, "mba/", NameFilter.parse("f0"), after=some.cursor, want=10_000
    )
    everything = {o.key for o in some.objects} | {o.key for o in rest.objects}
    assert everything == {k for k in keys if "f0" in k.lower()}
    assert rest.complete


def test_a_narrow_filter_answers_in_steps(s3_env: S3Env) -> None:
    keys = [f"mba/x/{n:05d}" for n in range(2100)] + ["mba/x/zzz-needle"]
    put_many(s3_env, s3_env.mba_bucket, keys)
    lister = BucketLister(make_s3_client(load_settings()))
    step = lister.fetch(s3_env.mba_bucket, "mba/", NameFilter.parse("needle"), max_calls=2)
    assert step.objects == [] and step.scanned == 2000 and not step.complete
    last = lister.fetch(s3_env.mba_bucket, "mba/", NameFilter.parse("needle"), after=step.cursor)
    assert [o.key for o in last.objects] == ["mba/x/zzz-needle"] and last.complete


def test_a_missing_bucket_is_named(s3_env: S3Env) -> None:
    lister = BucketLister(make_s3_client(load_settings()))
    with pytest.raises(UploadError, match="does not exist"):
        lister.fetch("no-such-bucket-here", "mba/")


def test_heads_are_fetched_once_and_read_our_md5_and_encryption(s3_env: S3Env) -> None:
    client = s3_env.client
    md5 = hashlib.md5(b"abc").hexdigest()
    client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/a", Body=b"abc", Metadata={"md5": md5},
        ServerSideEncryption="AES256",
    )  # fmt: skip
    client.put_object(Bucket=s3_env.mba_bucket, Key="mba/b", Body=b"x")  # type: ignore[attr-defined]
    heads = HeadCache(make_s3_client(load_settings()))
    got = heads.get_many(s3_env.mba_bucket, ["mba/a", "mba/b", "mba/gone"])
    assert (got["mba/a"].md5, got["mba/a"].sse) == (md5, "AES256")
    assert (got["mba/b"].md5, got["mba/b"].sse) == (None, None)
    assert not got["mba/gone"].exists
    assert heads.calls == 3
    heads.get(s3_env.mba_bucket, "mba/a")
    assert heads.calls == 3  # remembered


def test_local_sources_come_from_the_ledger(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    source = tmp_path / "mba" / "x.csv"
    new = NewJob(str(source), 3, 1, scope="mba", bucket="bkt", key="mba/csv/x.csv")
    job_id, _ = store.enqueue([new])[0]
    assert local_sources(store, "bkt", ["mba/csv/x.csv"]) == {}  # queued, not uploaded
    assert [job.id for job in store.claim(1)] == [job_id]
    store.mark_done(job_id, etag="e", md5="m")
    assert local_sources(store, "bkt", ["mba/csv/x.csv", "mba/csv/y.csv"]) == {
        "mba/csv/x.csv": str(source)
    }
    assert local_sources(store, "other", ["mba/csv/x.csv"]) == {}
    store.close()


def test_download_is_private_never_overwrites_and_is_checked(s3_env: S3Env, tmp_path: Path) -> None:
    data = b"member data\n" * 1000
    md5 = hashlib.md5(data).hexdigest()
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/csv/m.csv", Body=data, Metadata={"md5": md5}
    )
    client = make_s3_client(load_settings())
    folder = tmp_path / "down"
    folder.mkdir()
    (folder / "m.csv").write_bytes(b"mine, keep me")
    got = download_object(client, s3_env.mba_bucket, "mba/csv/m.csv", folder)
    assert got.path == folder / "m (1).csv" and got.checked_against == "metadata MD5"
    assert got.path.read_bytes() == data and got.md5 == md5
    assert stat.S_IMODE(got.path.stat().st_mode) == 0o600
    assert (folder / "m.csv").read_bytes() == b"mine, keep me"
    again = download_object(client, s3_env.mba_bucket, "mba/csv/m.csv", folder)
    assert again.path == folder / "m (2).csv"
    assert sorted(p.name for p in folder.iterdir()) == ["m (1).csv", "m (2).csv", "m.csv"]


def test_a_corrupted_object_is_detected_and_its_download_removed(
    s3_env: S3Env, tmp_path: Path
) -> None:
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/bad.csv", Body=b"changed bytes",
        Metadata={"md5": hashlib.md5(b"original bytes").hexdigest()},
    )  # fmt: skip
    client = make_s3_client(load_settings())
    moved: list[int] = []
    with pytest.raises(IntegrityError, match="does not match its metadata MD5"):
        download_object(client, s3_env.mba_bucket, "mba/bad.csv", tmp_path, progress=moved.append)
    assert list(tmp_path.iterdir()) == []  # neither the partial nor the reserved name
    assert moved == [13, -13]  # the bytes written, then taken back with the file
    s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key="mba/plain", Body=b"p")  # type: ignore[attr-defined]
    plain = download_object(client, s3_env.mba_bucket, "mba/plain", tmp_path)
    assert plain.checked_against == "ETag"
    with pytest.raises(UploadError, match=r"NoSuchKey|not exist|404"):
        download_object(client, s3_env.mba_bucket, "mba/absent", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["plain"]


def test_free_names_and_safe_names(tmp_path: Path) -> None:
    assert local_name("mba/csv/a:b?.csv") == "a_b_.csv"
    assert local_name("mba/..") == "object"
    first = free_path(tmp_path, "x.tar.gz")
    second = free_path(tmp_path, "x.tar.gz")
    assert (first.name, second.name) == ("x.tar.gz", "x.tar (1).gz")
    assert stat.S_IMODE(second.stat().st_mode) == 0o600


def test_delete_removes_only_the_keys_named(s3_env: S3Env) -> None:
    keys = [f"mba/d/{n:04d}" for n in range(1005)] + ["mba/keep"]
    put_many(s3_env, s3_env.mba_bucket, keys)
    result = delete_keys(make_s3_client(load_settings()), s3_env.mba_bucket, keys[:1005])
    assert sorted(result.deleted) == keys[:1005] and result.failed == {}
    assert s3_env.keys(s3_env.mba_bucket) == ["mba/keep"]


def test_listing_5000_objects_takes_figure(s3_env: S3Env) -> None:
    """Not a benchmark gate: prints the time to page through 5,000 keys (reported)."""
    keys = [f"mba/csv/{n:05d}.csv" for n in range(5000)]
    put_many(s3_env, s3_env.mba_bucket, keys)
    lister = BucketLister(make_s3_client(load_settings()))
    started = time.perf_counter()
    seen, cursor, calls = 0, None, 0
    while True:
        page = lister.fetch(s3_env.mba_bucket, "mba/", after=cursor)
        seen += len(page.objects)
        calls += page.calls
        if page.complete:
            break
        cursor = page.cursor
    elapsed = time.perf_counter() - started
    print(f"listed {seen} objects in {calls} calls in {elapsed:.2f} s")
    assert seen == 5000 and calls == 5
