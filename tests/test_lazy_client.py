"""A command's S3 client without boto3 where the settings alone reach S3 (issue 16's start-up).

`store_setup.setup_of_settings` decides when the settings and the environment
settle what botocore would (the key, the region, TLS); `LazyS3Client` then
lists through obstore in botocore's shape and builds boto3's client only for
what obstore does not do. Against moto: the same listing as botocore's, also
where obstore cannot show the keys as they are; and an upload of small files
that never imports boto3.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from hma_gui.core.config.settings import load_settings
from hma_gui.core.errors import UploadError
from hma_gui.core.s3.client import make_s3_client, translate_error
from hma_gui.core.s3.inventory import S3Inventory
from hma_gui.core.s3.lazy_client import LazyS3Client
from hma_gui.core.s3.store_setup import setup_of_settings
from hma_gui.core.upload.uploader import Uploader
from tests.aws_accounts import (  # noqa: F401 - fixtures
    UNKNOWN_SECRET,
    Accounts,
    accounts,
    auth_moto,
)
from tests.conftest import S3Env
from tests.early import cli_probe
from tests.fault_proxy import FaultProxy


@pytest.mark.parametrize(
    ("env", "settings", "why_not"),
    [
        ({"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s"}, {}, None),
        ({}, {"sandbox": True, "s3_endpoint_url": "http://127.0.0.1:9000"}, None),
        ({}, {}, "AWS_ACCESS_KEY_ID"),  # the chain: a profile file, SSO, an instance role
        ({"AWS_ACCESS_KEY_ID": "AKIA1"}, {}, "AWS_ACCESS_KEY_ID"),  # half a key: botocore says so
        (
            {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s"},
            {"aws_profile": "work"},
            "profile",  # a chosen profile wins over the environment's key in botocore
        ),
        (
            {
                "AWS_ACCESS_KEY_ID": "A",
                "AWS_SECRET_ACCESS_KEY": "s",
                "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z",
            },
            {},
            "AWS_ACCESS_KEY_ID",  # expiring keys: botocore refreshes them
        ),
        (
            {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s"},
            {"verify_tls": False},
            "TLS verification is off",
        ),
    ],
)
def test_the_settings_alone_reach_s3_only_where_they_settle_what_botocore_would(
    env: dict[str, str], settings: dict[str, Any], why_not: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    setup, reason = setup_of_settings(load_settings(**settings))
    if why_not is None:
        assert setup is not None and reason is None
    else:
        assert setup is None and reason is not None and why_not in reason


def test_the_region_comes_from_botocore_when_an_aws_config_file_may_hold_it(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIA1")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    config = isolated_env / "aws-config"
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    setup, _ = setup_of_settings(load_settings())
    assert setup is not None and setup.options["region"] == "us-east-1"  # botocore's default
    config.write_text("[default]\nregion = eu-west-1\n")
    assert setup_of_settings(load_settings())[0] is None
    assert setup_of_settings(load_settings(region="eu-west-1"))[0] is not None
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    setup, _ = setup_of_settings(load_settings())
    assert setup is not None and setup.options["region"] == "eu-central-1"


# ----------------------------------------------------------------- against moto


def lazy_client() -> Any:  # stands for botocore's client
    settings = load_settings()
    client = LazyS3Client.for_settings(settings, lambda: make_s3_client(settings))
    assert isinstance(client, LazyS3Client)
    return client


def listed(client: Any, bucket: str, prefix: str, page: int) -> list[tuple[str, int, str]]:
    inventory = S3Inventory(client, page_size=page)
    objects = inventory.listing(bucket, prefix).by_key.values()
    return sorted((o.key, o.size, o.etag) for o in objects)


KEYS = ["up/a b.csv", "up/ü.csv", "up/100%.csv", "up/a+b.csv", "up/d/e.csv", "up/f.csv",
        "upper.csv", "other/x.csv"]  # fmt: skip


@pytest.mark.integration
@pytest.mark.parametrize("page", [2, 1000])
def test_listings_through_obstore_are_botocore_s_and_one_page_builds_no_client(
    s3_env: S3Env, page: int
) -> None:
    for n, key in enumerate(KEYS):
        s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=b"x" * (n + 1))  # type: ignore[attr-defined]
    client = lazy_client()
    for prefix in ("up/", ""):
        ours = listed(client, s3_env.mba_bucket, prefix, page)
        assert ours == listed(s3_env.client, s3_env.mba_bucket, prefix, page)
        assert len(ours) == (6 if prefix else len(KEYS))
    # a listing longer than a page walks its folders (Delimiter): botocore's
    assert client.built is (page == 2)


@pytest.mark.integration
@pytest.mark.parametrize(
    "odd_key",
    ["up/d/", "up//double.csv", "up/./dot.csv", "up/tab\tname.csv"],  # folder marker, unparsable
)
def test_keys_obstore_cannot_show_as_they_are_are_listed_by_botocore(
    s3_env: S3Env, odd_key: str
) -> None:
    for n, key in enumerate([*KEYS, odd_key]):
        body = b"" if key.endswith("/") else b"x" * (n + 1)
        s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key=key, Body=body)  # type: ignore[attr-defined]
    client = lazy_client()
    ours = listed(client, s3_env.mba_bucket, "up/", 3)  # some pages obstore's, some botocore's
    assert ours == listed(s3_env.client, s3_env.mba_bucket, "up/", 3)
    assert odd_key in [key for key, _, _ in ours]
    # a prefix that ends inside a name: obstore lists whole path segments only
    assert [k for k, _, _ in listed(client, s3_env.mba_bucket, "up", 1000)] == sorted(
        k for k in [*KEYS, odd_key] if k.startswith("up")
    )


@pytest.mark.integration
def test_a_failed_listing_reads_as_botocore_s(
    s3_env: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = lazy_client()
    with pytest.raises(UploadError, match="bucket 'no-such-bucket-here' does not exist"):
        S3Inventory(client).listing("no-such-bucket-here", "up/")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENVIRONMENT")
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", "http://127.0.0.1:1")  # nothing listens
    dead = lazy_client()
    with pytest.raises(UploadError, match=r"^cannot reach http://127\.0\.0\.1:1"):
        dead.list_objects_v2(Bucket=s3_env.mba_bucket, Prefix="up/")


@pytest.mark.integration
def test_a_refused_key_says_it_came_from_the_environment(
    accounts: Accounts,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENVIRONMENT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", UNKNOWN_SECRET)  # moto never issued it
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = lazy_client()
    with pytest.raises(ClientError) as refused:
        client.list_objects_v2(Bucket=accounts.mba_bucket, Prefix="up/")
    text = str(translate_error(refused.value, bucket=accounts.mba_bucket))
    assert text.startswith("the AWS access key id is not known to S3: ")
    assert "the key AKIA…MENT came from the environment variable AWS_ACCESS_KEY_ID" in text
    assert UNKNOWN_SECRET not in text
    assert not client.built


@pytest.mark.integration
def test_single_puts_build_no_client_and_multipart_uploads_do(
    s3_env: S3Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MULTIPART_THRESHOLD", "6MiB")
    monkeypatch.setenv("HMA_MULTIPART_CHUNKSIZE", "5MiB")
    client = lazy_client()
    uploader = Uploader.for_settings(load_settings(), client)
    small, large, parts = tmp_path / "small.csv", tmp_path / "large.bin", tmp_path / "parts.bin"
    small.write_bytes(b"id,name\n1,Ann\n")
    large.write_bytes(b"x" * (2 * 1024 * 1024))  # `stream_put`
    parts.write_bytes(b"y" * (6 * 1024 * 1024))
    try:
        uploader.upload(small, s3_env.mba_bucket, "up/small.csv")
        assert not client.built and uploader.transfer == "obstore"
        uploader.upload(large, s3_env.mba_bucket, "up/large.bin")
        assert not client.built
        uploader.upload(parts, s3_env.mba_bucket, "up/parts.bin")
        assert client.built  # multipart uploads are botocore's
    finally:
        uploader.close()
    assert s3_env.read(s3_env.mba_bucket, "up/small.csv") == small.read_bytes()
    metadata = s3_env.head(s3_env.mba_bucket, "up/small.csv")["Metadata"]
    assert metadata == {"md5": hashlib.md5(small.read_bytes()).hexdigest()}


@pytest.mark.integration
@pytest.mark.parametrize("large", [False, True])
def test_an_upload_with_its_duplicate_check_never_imports_botocores_client(
    s3_env: S3Env, tmp_path: Path, large: bool
) -> None:
    """Small files go through obstore, larger single PUTs through `stream_put`: no client."""
    folder = tmp_path / "mba"
    folder.mkdir()
    for n in range(3):
        (folder / f"members{n}.csv").write_text(f"id\n{n}\n")
    if large:
        (folder / "large.bin").write_bytes(b"x" * (2 * 1024 * 1024))
    report = "'boto3' in sys.modules, 'botocore.client' in sys.modules"
    probe = cli_probe(["upload", "--scope", "mba", str(folder)], report)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False", "False"]
    assert len(s3_env.keys(s3_env.mba_bucket)) == 3 + large


@pytest.mark.integration
def test_a_listing_through_obstore_is_retried_through_503s_and_resets(
    s3_env: S3Env, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HMA_MAX_ATTEMPTS", "4")
    s3_env.client.put_object(Bucket=s3_env.mba_bucket, Key="up/a.csv", Body=b"a")  # type: ignore[attr-defined]
    client = lazy_client()
    proxy.fail_next(2, 503)
    proxy.reset_next(1)
    assert [k for k, _, _ in listed(client, s3_env.mba_bucket, "up/", 1000)] == ["up/a.csv"]
    assert proxy.failures_left() == 0 and not client.built
    proxy.fail_next(4, 503)  # as many as the attempts: the listing fails, as botocore's would
    with pytest.raises(UploadError, match="SlowDown") as failed:
        S3Inventory(client).listing(s3_env.mba_bucket, "up/")
    assert failed.value.retryable
