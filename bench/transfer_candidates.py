"""Transfer-path candidates for small PUTs: botocore (ours) against obstore and awscrt.

A prototype measurement (issue 16 item 1), not part of the app: each candidate
PUTs the same N files of 1–64 KiB from 8 threads to one local moto server, with
what our uploader must send (an integrity checksum S3 verifies, our MD5 in the
metadata, ``If-None-Match: *``; SSE where the candidate sends it), and reports
files/s, the client's CPU per file (this process, `time.process_time`) and
moto's. Needs a venv with the candidates, kept out of the project's lock::

    uv venv /tmp/candidates -p .venv/bin/python
    VIRTUAL_ENV=/tmp/candidates uv pip install awscrt obstore boto3
    /tmp/candidates/bin/python bench/transfer_candidates.py --files 2000 --rounds 2

moto is started with this checkout's `.venv` (it is not in the candidates' venv).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import socket
import subprocess
import time
import traceback
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

REPO = Path(__file__).resolve().parents[1]
KEY = "bench"  # the local moto server accepts any key; not a secret


class Server:
    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        python = str(REPO / ".venv" / "bin" / "python")
        self.process = subprocess.Popen(
            [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.endpoint = f"http://127.0.0.1:{self.port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).close()  # noqa: S310
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("moto did not start")

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def botocore_put(server: Server) -> Callable[[str, str, bytes], None]:
    client = boto3.client(
        "s3", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=KEY, aws_secret_access_key=KEY,
        config=Config(
            max_pool_connections=16, s3={"payload_signing_enabled": False},
            request_checksum_calculation="when_required",
        ),
    )  # fmt: skip

    def put(bucket: str, key: str, data: bytes) -> None:
        md5 = hashlib.md5(data, usedforsecurity=False).digest()
        client.put_object(
            Bucket=bucket, Key=key, Body=data, ContentMD5=base64.b64encode(md5).decode(),
            Metadata={"md5": md5.hex()}, IfNoneMatch="*", ServerSideEncryption="AES256",
        )  # fmt: skip

    return put


def obstore_put(server: Server) -> Callable[[str, str, bytes], None]:
    import obstore
    from obstore.store import S3Store

    stores: dict[str, Any] = {}

    def put(bucket: str, key: str, data: bytes) -> None:
        store = stores.get(bucket)
        if store is None:
            store = stores[bucket] = S3Store(
                bucket, endpoint=server.endpoint, region="us-east-1", access_key_id=KEY,
                secret_access_key=KEY, client_options={"allow_http": True},
                virtual_hosted_style_request=False, checksum_algorithm="sha256",
            )  # fmt: skip
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        obstore.put(store, key, data, mode="create", attributes={"md5": md5})

    return put


def awscrt_put(server: Server) -> Callable[[str, str, bytes], None]:
    from awscrt import auth, http, s3
    from awscrt import io as crt_io

    loops = crt_io.EventLoopGroup(2)
    bootstrap = crt_io.ClientBootstrap(loops, crt_io.DefaultHostResolver(loops))
    signing = auth.AwsSigningConfig(
        algorithm=auth.AwsSigningAlgorithm.V4,
        signature_type=auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
        credentials_provider=auth.AwsCredentialsProvider.new_static(KEY, KEY),
        region="us-east-1", service="s3",
        signed_body_value=auth.AwsSignedBodyValue.UNSIGNED_PAYLOAD,
    )  # fmt: skip
    client = s3.S3Client(
        bootstrap=bootstrap, region="us-east-1", signing_config=signing,
        tls_mode=s3.S3RequestTlsMode.DISABLED,
    )  # fmt: skip

    def put(bucket: str, key: str, data: bytes) -> None:
        md5 = hashlib.md5(data, usedforsecurity=False).digest()
        headers = http.HttpHeaders([
            ("Host", f"127.0.0.1:{server.port}"), ("Content-Length", str(len(data))),
            ("Content-MD5", base64.b64encode(md5).decode()), ("x-amz-meta-md5", md5.hex()),
            ("If-None-Match", "*"), ("x-amz-server-side-encryption", "AES256"),
        ])  # fmt: skip
        request = http.HttpRequest("PUT", f"/{bucket}/{key}", headers, io.BytesIO(data))
        done = s3.S3Request(
            client=client, type=s3.S3RequestType.DEFAULT, request=request,
            operation_name="PutObject", region="us-east-1",  # without it: TypeError (0.38)
        )  # fmt: skip
        done.finished_future.result()

    return put


CANDIDATES = {"botocore": botocore_put, "obstore": obstore_put, "awscrt": awscrt_put}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    files = [os.urandom(1024 * (1 + n % 64)) for n in range(args.files)]
    server = Server()
    try:
        puts: dict[str, Callable[[str, str, bytes], None]] = {}
        for name, make in CANDIDATES.items():
            try:
                puts[name] = make(server)
            except Exception:
                print(f"{name}: not available\n{traceback.format_exc(limit=2)}")
        for round_ in range(args.rounds):
            for name, put in puts.items():
                bucket = f"{name}-{round_}"
                boto3.client(
                    "s3", endpoint_url=server.endpoint, region_name="us-east-1",
                    aws_access_key_id=KEY, aws_secret_access_key=KEY,
                ).create_bucket(Bucket=bucket)  # fmt: skip
                cpu, wall, moto = time.process_time(), time.monotonic(), server.cpu()
                try:
                    with ThreadPoolExecutor(8) as pool:
                        sent = [
                            pool.submit(put, bucket, f"k/{n}.bin", data)
                            for n, data in enumerate(files)
                        ]
                        for future in sent:
                            future.result()  # a failed PUT fails the candidate
                except Exception as exc:
                    print(f"round {round_ + 1} {name:9} failed: {exc!r}"[:200])
                    continue
                cpu, wall = time.process_time() - cpu, time.monotonic() - wall
                moto = server.cpu() - moto
                count = len(files)
                print(
                    f"round {round_ + 1} {name:9} {count / wall:7.1f} files/s  "
                    f"client CPU {cpu / count * 1000:5.2f} ms/file  "
                    f"moto {moto / count * 1000:5.2f} ms/file",
                    flush=True,
                )
    finally:
        server.process.terminate()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
