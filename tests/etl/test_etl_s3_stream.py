"""Reading objects from S3: a connection cut mid-object resumes where it broke."""

from __future__ import annotations

import http.client
import http.server
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from hma_gui.core.config.settings import load_settings
from hma_gui.core.etl.pipeline import run_etl
from hma_gui.core.etl.results import FileStatus
from tests.conftest import S3Env
from tests.etl.conftest import Target, upload_csv

pytestmark = pytest.mark.integration


class CuttingProxy:
    """Forwards GETs to S3; the first object GET is cut off after `cut_after` body bytes."""

    def __init__(self, upstream: str, cut_after: int) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.cut_after = cut_after
        self.ranges: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                body = response.read()
                conn.close()
                is_object = "list-type" not in self.path and response.status in (200, 206)
                if is_object:
                    proxy.ranges.append(self.headers.get("Range", ""))
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.end_headers()
                if is_object and proxy.cut_after and len(body) > proxy.cut_after:
                    self.wfile.write(body[: proxy.cut_after])
                    self.wfile.flush()
                    proxy.cut_after = 0
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

            def do_HEAD(self) -> None:
                self.send_error(405)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def cutting_proxy(s3_env: S3Env, monkeypatch: pytest.MonkeyPatch) -> Iterator[CuttingProxy]:
    proxy = CuttingProxy(s3_env.endpoint, cut_after=700_000)
    monkeypatch.setenv("HMA_S3_ENDPOINT_URL", proxy.endpoint)
    yield proxy
    proxy.close()


def test_a_broken_download_resumes_at_the_byte_it_reached(
    s3_env: S3Env, cutting_proxy: CuttingProxy, target: Target
) -> None:
    plans = "plan_id,plan_name,plan_type,plan_year,deductible_individual,oop_max_individual\n"
    upload_csv(s3_env, "plan_details.csv", (plans + "P-1,One,PPO,2024,1,2\n").encode())
    header = "member_id,first_name,last_name,date_of_birth,plan_id,effective_date\n"
    rows = "".join(f"M-{n:07d},Ann,Lee,1980-01-01,P-1,2024-01-01\n" for n in range(40_000))
    upload_csv(s3_env, "MemberData.csv", (header + rows).encode())

    result = run_etl(load_settings())

    members = result.files[1]
    assert (members.status, members.rows_read, members.rows_loaded) == (
        FileStatus.SUCCEEDED,
        40_000,
        40_000,
    )
    assert cutting_proxy.ranges[-2:] == ["", "bytes=700000-"]
    assert target.counts()["members"] == 40_000
