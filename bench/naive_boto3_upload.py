"""The "naive boto3" peer of the upload benchmark: 8 threads, one put_object per file.

Usage: naive_boto3_upload.py ENDPOINT SOURCE_DIR BUCKET PREFIX

What a developer writes first: one shared client, a thread pool, the whole file
read into memory and sent with put_object (no multipart, no checksums of our
own). Credentials and region come from the environment, like every other tool
in the benchmark.
"""

from __future__ import annotations

import sys

import boto3
from botocore.config import Config
from file_loop import THREADS, send_each  # bench/ is the script's folder


def main(argv: list[str]) -> int:
    endpoint, source, bucket, prefix = argv
    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=THREADS))

    def put(key: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=key, Body=data)

    send_each(source, prefix, put)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
