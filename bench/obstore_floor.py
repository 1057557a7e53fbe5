"""The transport floor of the upload benchmark: obstore alone, nothing of ours around it.

Usage: obstore_floor.py ENDPOINT SOURCE_DIR BUCKET PREFIX

What hma-ingest's small-file path costs at least: 8 threads, each file read whole,
its MD5 computed (our metadata and the ETag check need it) and sent with
``obstore.put`` carrying the headers hma-ingest sends (``x-amz-checksum-sha256``,
unsigned payload, ``x-amz-meta-md5``, SSE-S3, ``If-None-Match: *``). No job store,
no plan, no duplicate check, no progress: a reference line in the table, not a
peer (issue 16's ≤ 0.8 ms client CPU per file is judged against it).
Credentials and region come from the environment, like every other tool.
"""

from __future__ import annotations

import hashlib
import os
import sys

import obstore
from file_loop import send_each  # bench/ is the script's folder
from obstore.store import S3Store


def main(argv: list[str]) -> int:
    endpoint, source, bucket, prefix = argv
    store = S3Store(
        bucket,
        endpoint=endpoint,
        region=os.environ.get("AWS_REGION", "us-east-1"),
        access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
        allow_http=endpoint.startswith("http://"),
        virtual_hosted_style_request=False,
        checksum_algorithm="sha256",
        unsigned_payload=True,
        server_side_encryption="AES256",
    )

    def put(key: str, data: bytes) -> None:
        md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
        attributes = {"Content-Type": "text/csv", "md5": md5}
        obstore.put(store, key, data, attributes=attributes, mode="create", use_multipart=False)

    send_each(source, prefix, put)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
