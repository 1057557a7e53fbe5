"""``POST /ingest?key=s3://…``: which objects may be queued for the ETL, and the message.

`ingest_target` accepts only what the ETL loads: the ``mba`` scope's bucket, a
key directly under its ``<prefix>csv/`` folder whose file name is one of the
data contract's CSV names (`table_for_key`). `s3_event_body` is the S3 event
notification S3 itself would send for the object (key URL-encoded the way S3
writes it), so the worker — or the Lambda, reading the same queue — handles it
like any other event.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote_plus

from hma_gui.core.config.bucket_names import bucket_name_problem
from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import ConfigError
from hma_gui.core.etl.pipeline import MBA_SCOPE
from hma_gui.core.etl.planning import CSV_FOLDER, parse_s3_uri
from hma_gui.core.etl.schema import table_for_key

MAX_KEY_BYTES = 1024  # S3's limit
EVENT_NAME = "ObjectCreated:Put"


class IngestRefused(ValueError):
    """A URI the ETL would not load (the message says why)."""


def ingest_target(uri: str, settings: Settings) -> tuple[str, str, str]:
    """``s3://bucket/key`` → (bucket, key, table) when the ETL can load it."""
    if not uri.startswith("s3://"):
        raise IngestRefused(f"expected s3://bucket/key, got {uri!r}")
    try:
        bucket, key = parse_s3_uri(uri)
    except ConfigError as exc:
        raise IngestRefused(str(exc)) from None
    problem = bucket_name_problem(bucket)
    if problem:
        raise IngestRefused(f"{bucket!r} is not a valid S3 bucket name: it {problem}")
    try:
        scope = settings.scope(MBA_SCOPE)
    except ConfigError as exc:
        raise IngestRefused(str(exc)) from None
    if bucket != scope.bucket:
        raise IngestRefused(f"the ETL loads from s3://{scope.bucket}/, not from {bucket!r}")
    if len(key.encode()) > MAX_KEY_BYTES or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise IngestRefused("the key is too long or holds control characters")
    folder = scope.prefix + CSV_FOLDER
    name = key[len(folder) :] if key.startswith(folder) else ""
    if not name or "/" in name:
        raise IngestRefused(f"the ETL loads only files directly under {folder}, not {key!r}")
    table = table_for_key(key)
    if table is None or not name.lower().endswith(".csv"):
        raise IngestRefused(f"{name!r} is not a CSV name of the data contract (no table for it)")
    return bucket, key, table.name


def s3_event_body(bucket: str, key: str, *, sender: str, region: str = "") -> str:
    """The S3 event notification of one ``ObjectCreated`` object, as JSON."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": now,
        "eventName": EVENT_NAME,
        "userIdentity": {"principalId": sender},
        "requestParameters": {"sourceIPAddress": ""},
        "responseElements": {},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "hma-ingest-post-ingest",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/")},
        },
    }
    return json.dumps({"Records": [record]}, separators=(",", ":"))
