"""The "naive boto3" peer of the upload benchmark: 8 threads, one put_object per file.

Usage: naive_boto3_upload.py ENDPOINT SOURCE_DIR BUCKET PREFIX

What a developer writes first: one shared client, a thread pool, the whole file
read into memory and sent with put_object (no multipart, no checksums of our
own). Credentials and region come from the environment, like every other tool
in the benchmark.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

THREADS = 8


def main(argv: list[str]) -> int:
    endpoint, source, bucket, prefix = argv
    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=THREADS))
    paths = []
    for folder, _dirs, files in os.walk(source):
        paths.extend(os.path.join(folder, name) for name in files)

    def put(path: str) -> None:
        key = prefix + os.path.relpath(path, source).replace(os.sep, "/")
        with open(path, "rb") as handle:
            client.put_object(Bucket=bucket, Key=key, Body=handle.read())

    with ThreadPoolExecutor(THREADS) as pool:
        for _ in pool.map(put, paths):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
