"""A big prefix listed folder by folder, several requests at once (`parallel_listing`).

Against moto's server over HTTP: every tree is listed both ways, and what the
parallel listing returns must be exactly what one plain ListObjectsV2 chain
returns (keys, sizes, ETags, in order): nested and unbalanced folders, folder
markers, a key equal to the prefix, ``//``, names that sort around ``/``
(``a-b/``, ``a.csv``, ``a/``), non-ASCII, a flat folder, a folder of many
small sub-folders, prefixes that do and do not end in ``/``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import UploadError
from hma_gui.core.s3.client import make_s3_client
from hma_gui.core.s3.inventory import S3Inventory
from hma_gui.core.s3.lazy_client import LazyS3Client
from hma_gui.core.s3.parallel_listing import list_prefix
from tests.conftest import S3Env, s3_client_for
from tests.fault_proxy import FaultProxy

pytestmark = pytest.mark.integration


def _nested() -> Iterator[str]:
    yield "mba/"  # the prefix itself, as a key
    yield from ("mba/a.csv", "mba/a.z", "mba/zz.csv", "mba/ü/x.csv", "mba/😀/y.csv")
    yield "mba/a/"  # a folder marker
    yield from (f"mba/a/y{n:02d}" for n in range(12))
    yield from (f"mba/a-b/x{n}" for n in range(5))  # sorts between "mba/a" and "mba/a/"
    yield from (f"mba/csv/2025/01/f{n:03d}.csv" for n in range(30))
    yield from (f"mba/csv/2025/02/f{n}.csv" for n in range(3))
    yield from ("mba/csv/2025/03/", "mba/csv/2025/03/a.csv", "mba/csv/2025/03/b.csv")
    yield from (f"mba/csv/2025-q/{n}.csv" for n in range(4))
    yield from ("mba/csv//double.csv", "mba/csv/top.csv")
    yield from (f"mba/csv/2026/{m:02d}/one.csv" for m in range(1, 13))  # many small folders
    yield from (f"mba/pdf/p{n}.pdf" for n in range(7))
    yield from ("mbb/x.csv", "mb.csv", "other/z.csv")  # outside "mba/"


def _flat() -> Iterator[str]:
    yield from (f"flat/f{n:03d}.csv" for n in range(100))


def _tiny_folders() -> Iterator[str]:
    yield from (f"tiny/d{n:03d}/x.csv" for n in range(60))
    yield from (f"tiny/d{n:03d}/" for n in range(0, 60, 7))  # some with markers


def _put(s3_env: S3Env, keys: Iterator[str]) -> list[str]:
    names = list(keys)
    client: Any = s3_env.client

    def put(n: int) -> None:  # sizes differ, so the comparison sees them; markers are empty
        body = b"" if names[n].endswith("/") else b"x" * (n + 1)
        client.put_object(Bucket=s3_env.mba_bucket, Key=names[n], Body=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(len(names))))
    return names


def _plain(s3_env: S3Env, prefix: str, page: int) -> tuple[list[tuple[str, int, str]], int]:
    """One ListObjectsV2 chain: what every listing must equal, and its calls."""
    paginator = s3_env.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
    found, calls = [], 0
    pages = paginator.paginate(
        Bucket=s3_env.mba_bucket, Prefix=prefix, PaginationConfig={"PageSize": page}
    )
    for result in pages:
        calls += 1
        found.extend((o["Key"], o["Size"], o["ETag"]) for o in result.get("Contents", []))
    return found, calls


def _parallel(
    client: Any, bucket: str, prefix: str, page: int, workers: int
) -> tuple[list[tuple[str, int, str]], int]:
    calls = 0

    def list_page(**kwargs: Any) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        return client.list_objects_v2(**kwargs)  # type: ignore[no-any-return]

    items = list_prefix(list_page, bucket, prefix, page_size=page, workers=workers)
    return [(o["Key"], o["Size"], o["ETag"]) for o in items], calls


@pytest.mark.parametrize("page", [3, 5, 1000])
@pytest.mark.parametrize("workers", [1, 4, 8])
def test_a_nested_tree_is_listed_exactly_as_one_chain_lists_it(
    s3_env: S3Env, page: int, workers: int
) -> None:
    keys = _put(s3_env, _nested())
    for prefix in ("mba/", "mb", "", "mba/csv/", "mba/csv/2025/01/", "nothing/"):
        expected, chain_calls = _plain(s3_env, prefix, page)
        assert expected == sorted(expected)
        assert len(expected) == sum(k.startswith(prefix) for k in keys)
        got, calls = _parallel(s3_env.client, s3_env.mba_bucket, prefix, page, workers)
        assert got == expected, prefix
        if chain_calls <= 3 or workers == 1:  # short, or one at a time: the chain as before
            assert calls == chain_calls, prefix


@pytest.mark.parametrize("page", [3, 1000])
def test_the_command_line_s_client_lists_a_nested_tree_exactly_too(
    s3_env: S3Env, page: int
) -> None:
    # obstore pages where it can show the keys, botocore's for the walks and the rest
    _put(s3_env, _nested())
    settings = load_settings()
    client = LazyS3Client.for_settings(settings, lambda: make_s3_client(settings))
    assert isinstance(client, LazyS3Client)
    for prefix in ("mba/", "mba/csv/", "mba/a/"):
        expected, _ = _plain(s3_env, prefix, page)
        got, _ = _parallel(client, s3_env.mba_bucket, prefix, page, 8)
        assert got == expected, prefix


def test_a_directory_bucket_is_listed_as_one_plain_chain(s3_env: S3Env) -> None:
    """S3 Express directory buckets (named ``…--x-s3``) list out of key order and take no
    StartAfter: their listing must stay the plain chain, however many pages it has.

    moto has no directory buckets (botocore asks them for a session first), so the
    requests for such a name go to the test bucket: the walk they ask for is recorded.
    """
    _put(s3_env, _nested())
    expected, chain_calls = _plain(s3_env, "mba/", 3)
    asked: list[dict[str, Any]] = []

    def list_page(**kwargs: Any) -> dict[str, Any]:
        asked.append(dict(kwargs))
        assert kwargs["Bucket"] == "mba--use1-az4--x-s3"
        return s3_env.client.list_objects_v2(  # type: ignore[attr-defined,no-any-return]
            **{**kwargs, "Bucket": s3_env.mba_bucket}
        )

    items = list_prefix(list_page, "mba--use1-az4--x-s3", "mba/", page_size=3, workers=8)
    assert [(o["Key"], o["Size"], o["ETag"]) for o in items] == expected
    assert chain_calls > 3  # long enough that another bucket's listing would split
    assert len(asked) == chain_calls
    assert not [a for a in asked if "Delimiter" in a or "StartAfter" in a]
    assert [("ContinuationToken" in a) for a in asked] == [False] + [True] * (chain_calls - 1)


def test_a_flat_folder_costs_what_one_chain_costs(s3_env: S3Env) -> None:
    _put(s3_env, _flat())
    expected, chain_calls = _plain(s3_env, "flat/", 7)
    got, calls = _parallel(s3_env.client, s3_env.mba_bucket, "flat/", 7, 8)
    assert got == expected and len(got) == 100
    assert calls == chain_calls == math.ceil(100 / 7)  # the walk is the rest of the chain


def test_many_small_folders_are_read_in_groups_not_one_request_each(s3_env: S3Env) -> None:
    keys = _put(s3_env, _tiny_folders())
    expected, chain_calls = _plain(s3_env, "tiny/", 5)
    got, calls = _parallel(s3_env.client, s3_env.mba_bucket, "tiny/", 5, 4)
    assert got == expected and len(got) == len(keys)
    # first page, the walk of tiny/ (~60 folder names, 5 a page), 4 groups of ~15 keys:
    # about twice the chain's requests; one request per folder would be 60 more
    assert chain_calls < calls <= 2 * chain_calls + 4


def test_the_folders_of_a_big_prefix_are_listed_at_once_through_a_far_server(
    s3_env: S3Env, proxy: FaultProxy
) -> None:
    keys = _put(s3_env, _nested())
    expected, chain_calls = _plain(s3_env, "mba/", 3)
    proxy.latency = 0.05  # every request waits, as on a far S3
    got, calls = _parallel(s3_client_for(proxy.endpoint), s3_env.mba_bucket, "mba/", 3, 8)
    assert got == expected and len(got) == sum(k.startswith("mba/") for k in keys)
    assert proxy.peak_active >= 4  # folders listed at the same time
    assert calls <= 2 * chain_calls  # what the walks add is bounded (here: many tiny folders)


def test_a_refusal_in_the_middle_of_the_listing_is_a_clear_error_and_leaves_nothing_running(
    s3_env: S3Env, proxy: FaultProxy
) -> None:
    _put(s3_env, _nested())
    proxy.fail_next(1, 403, after=6)  # first page and walks pass, a later page is refused
    inventory = S3Inventory(s3_client_for(proxy.endpoint), page_size=3)
    with pytest.raises(UploadError, match=r"access denied: the duplicate check may not list s3://"):
        inventory.listing(s3_env.mba_bucket, "mba/")
    assert proxy.active == 0  # every request of the listing finished before the error
    assert inventory.requests.list_calls >= 7
    listing = inventory.listing(s3_env.mba_bucket, "mba/")  # asked again: listed whole
    assert len(listing) == len(_plain(s3_env, "mba/", 1000)[0])
