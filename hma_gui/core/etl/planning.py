"""What a run loads, and in which order: every CSV of the scope, or one object and its parents.

`plan_all` is ``load-all``: every ``.csv`` under ``<prefix>csv/``, matched to
its table by file name, in load order. `plan_object` is ``load-one`` (an S3
event, ``hma-etl load-one``): one object, preceded by the files of its parent
tables that are in the same folder and not loaded yet, so that events may
arrive in any order and still give the tables one ``load-all`` gives.

Why parents first, and when to wait (`PlannedFile.defer`): a ``members`` file
whose ``plans`` file has not been loaded would reject every row for a plan
that does not exist *yet*. So loading an object first loads the not-yet-loaded
parent-table files of its folder (in load order). When a parent table has no
file in the folder at all, the object is deferred (a retryable result: the
event comes back after the queue's visibility timeout, and after the queue's
receive limit it goes to the dead-letter queue); `wait_for_parents=False`
loads it anyway, checking its keys against what the tables already hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import botocore.exceptions as bce

from hma_gui.core.errors import ConfigError
from hma_gui.core.etl.database import EtlDatabase
from hma_gui.core.etl.s3_source import SourceObject, list_sources
from hma_gui.core.etl.schema import TABLES, TABLES_BY_NAME, Table, table_for_key
from hma_gui.core.hashes.digests import clean_etag
from hma_gui.core.s3.client import S3Client, translate_error

CSV_FOLDER = "csv/"


@dataclass(frozen=True)
class PlannedFile:
    source: SourceObject
    table: Table | None
    #: why this file waits instead of loading (None: load it)
    defer: str | None = None
    #: a parent of a later file in the plan: if it does not load, the later files wait
    parent: bool = False
    #: the object no longer exists (an event for a deleted or renamed object)
    missing: bool = False


def plan_all(
    client: S3Client, bucket: str, prefix: str, tables: frozenset[str] | None
) -> list[PlannedFile]:
    """The CSV objects under ``<prefix>csv/`` in load order; unmatched ones last."""
    planned = []
    for source in list_sources(client, bucket, prefix + CSV_FOLDER):
        table = table_for_key(source.key)
        if tables is not None and (table is None or table.name not in tables):
            continue
        planned.append(PlannedFile(source, table))
    return sorted(
        planned,
        key=lambda p: (p.table.load_order if p.table else len(TABLES) + 1, p.source.key),
    )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → (bucket, key); the key as written (not URL-decoded)."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc or len(parts.path) < 2:
        raise ConfigError(f"expected s3://bucket/key, got {uri!r}")
    return parts.netloc, uri[len("s3://") + len(parts.netloc) + 1 :]


def parent_tables(table: Table) -> list[Table]:
    """Every table `table` references, directly or through others, in load order."""
    found: dict[str, Table] = {}
    pending = [parent for _, parent, _ in table.foreign_keys]
    while pending:
        name = pending.pop()
        if name in found or name == table.name:
            continue
        found[name] = TABLES_BY_NAME[name]
        pending.extend(parent for _, parent, _ in found[name].foreign_keys)
    return sorted(found.values(), key=lambda t: t.load_order)


def head_source(client: S3Client, bucket: str, key: str) -> SourceObject | None:
    """The object as it is now (its current ETag, not the event's); None if it is gone."""
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except bce.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            return None
        raise translate_error(exc, bucket=bucket) from exc
    except Exception as exc:
        raise translate_error(exc, bucket=bucket) from exc
    version = head.get("VersionId")
    return SourceObject(
        bucket,
        key,
        int(head.get("ContentLength", 0)),
        clean_etag(head.get("ETag", "")),
        version if version and version != "null" else None,
    )


def plan_object(
    client: S3Client,
    database: EtlDatabase,
    bucket: str,
    key: str,
    *,
    wait_for_parents: bool = True,
) -> list[PlannedFile]:
    """The object `key`, after the not-yet-loaded parent files of its folder."""
    table = table_for_key(key)
    source = head_source(client, bucket, key)
    if source is None:
        return [PlannedFile(SourceObject(bucket, key, 0, ""), table, missing=True)]
    if table is None:
        return [PlannedFile(source, None)]
    parents = parent_tables(table)
    if not parents:
        return [PlannedFile(source, table)]
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    here = [s for s in list_sources(client, bucket, folder) if "/" not in s.key[len(folder) :]]
    planned: list[PlannedFile] = []
    absent: list[str] = []
    for parent in parents:
        files = [s for s in here if table_for_key(s.key) is parent]
        if not files:
            absent.append(parent.name)
        planned.extend(
            PlannedFile(s, parent, parent=True)
            for s in files
            if not database.loaded_before(s.bucket, s.key, s.etag)
        )
    if absent and wait_for_parents:
        # Load none of the parents either: a present parent may itself need an absent one.
        where = f"s3://{bucket}/{folder}"
        noun = "files" if len(absent) > 1 else "file"
        why = f"waiting for the {' and '.join(absent)} {noun} in {where} (its rows refer to them)"
        return [PlannedFile(source, table, defer=why)]
    return [*planned, PlannedFile(source, table)]
