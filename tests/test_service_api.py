"""The HTTP API: FastAPI's TestClient for the routes, and one real uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hma_gui.core.config.settings import Settings, load_settings
from hma_gui.core.jobs.store import JobStore
from hma_gui.core.queue.local_queue import LocalQueue
from hma_gui.core.s3.client import make_s3_client
from tests.cli_runner import cli_command, run_cli
from tests.conftest import S3Env, free_port, wait_for_http

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


def api_client(settings: Settings, store: JobStore, token: str | None = None) -> TestClient:
    """FastAPI's TestClient on the app (fastapi is imported here, not at collection: 0.3 s)."""
    from fastapi.testclient import TestClient

    from hma_gui.service.api import ApiDeps, create_app

    s3 = make_s3_client(settings)
    deps = ApiDeps(settings=settings, queue=LocalQueue(store), s3=s3, token=token)
    return TestClient(create_app(deps))


@pytest.fixture
def api(s3_env: S3Env, tmp_path: Path) -> Iterator[tuple[TestClient, JobStore]]:
    store = JobStore(tmp_path / "jobs.db")
    with api_client(load_settings(), store) as client:
        yield client, store
    store.close()


def _csv(tmp_path: Path, name: str = "MemberData.csv", data: bytes = b"a,b\n1,2\n") -> Path:
    path = tmp_path / "data" / "mba" / "csv" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_post_job_queues_it_and_get_follows_it(
    api: tuple[TestClient, JobStore], s3_env: S3Env, tmp_path: Path
) -> None:
    client, store = api
    path = _csv(tmp_path)
    response = client.post("/jobs", json={"path": str(path), "scope": "mba"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["bucket"], body["key"]) == (s3_env.mba_bucket, "mba/csv/MemberData.csv")
    assert client.get(f"/jobs/{body['id']}").json()["state"] == "queued"
    assert client.get("/stats").json()["queued"] == 1
    assert store.counters().queued == 1
    assert client.get("/jobs/999").status_code == 404


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"path": "/no/such/file.csv", "scope": "mba"}, "no such file"),
        ({"path": "FILE", "scope": "claims"}, "unknown scope 'claims'"),
        ({"path": "FILE", "scope": "auto", "bad_key": True}, "control character"),
    ],
)
def test_post_job_refuses_with_the_reason(
    api: tuple[TestClient, JobStore], tmp_path: Path, payload: dict[str, object], reason: str
) -> None:
    client, store = api
    name = "bad\x01name.csv" if payload.pop("bad_key", False) else "x.csv"
    if payload["path"] == "FILE":
        payload["path"] = str(_csv(tmp_path, name))
    response = client.post("/jobs", json=payload)
    assert response.status_code == 400
    assert reason in response.json()["detail"]
    assert store.counters().total == 0


def test_a_file_already_in_s3_is_skipped_by_the_screen(
    api: tuple[TestClient, JobStore], s3_env: S3Env, tmp_path: Path
) -> None:
    client, _ = api
    path = _csv(tmp_path)
    s3_env.client.put_object(  # type: ignore[attr-defined]
        Bucket=s3_env.mba_bucket, Key="mba/csv/MemberData.csv", Body=path.read_bytes()
    )
    response = client.post("/jobs", json={"path": str(path), "scope": "mba"})
    assert response.status_code == 200
    assert response.json()["id"] is None and response.json()["skipped"]


def test_health_names_the_dependency_that_is_down(s3_env: S3Env, tmp_path: Path) -> None:
    settings = load_settings(s3_endpoint_url=f"http://127.0.0.1:{free_port()}", max_attempts=1)
    with JobStore(tmp_path / "jobs.db") as store:
        response = api_client(settings, store).get("/health")
    assert response.status_code == 503
    assert set(response.json()["down"]) == {"s3"}


def test_a_token_is_required_when_configured(s3_env: S3Env, tmp_path: Path) -> None:
    settings = load_settings()
    with JobStore(tmp_path / "jobs.db") as store:
        client = api_client(settings, store, token="s3cr3t")
        assert client.get("/stats").status_code == 401
        assert client.get("/stats", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.get("/stats", headers={"Authorization": "Bearer s3cr3t"}).status_code == 200
        assert client.get("/health").status_code == 200


def test_serve_on_another_address_needs_a_token() -> None:
    result = run_cli("serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert result.code == 2
    assert "needs a bearer token" in result.err


def _request(url: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - loopback test server
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_real_uvicorn_serves_the_api(s3_env: S3Env, tmp_path: Path) -> None:
    import os

    port = free_port()
    process = subprocess.Popen(
        cli_command("serve", "--port", str(port), "--queue", "local"),
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/health")
        assert _request(f"{base}/health") == (200, {"status": "ok", "queue": "local"})
        status, body = _request(f"{base}/jobs", {"path": str(_csv(tmp_path)), "scope": "mba"})
        assert status == 201 and body["key"] == "mba/csv/MemberData.csv"
        assert _request(f"{base}/jobs/{body['id']}")[1]["state"] == "queued"
        assert _request(f"{base}/stats")[1]["queued"] == 1
        assert _request(f"{base}/jobs", {"path": "/nope.csv", "scope": "mba"})[0] == 400
        with urllib.request.urlopen(f"{base}/openapi.json", timeout=10) as response:  # noqa: S310
            assert "/jobs" in json.loads(response.read())["paths"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
