"""The job store's schema and its migrations (``PRAGMA user_version`` tracks the level).

1. The jobs, the batches, the ledger of uploaded files, counters kept by triggers.
2. ``waiting`` is a job state (a file held for a duplicate decision); schema 1
   kept such a file as a skipped job with an error text, which the migration
   turns into the state. ``decision`` holds a `Decision` code or NULL.
3. Conditional writes (``jobs.expected_etag``) and resumable multipart uploads
   (``multipart_uploads``, ``multipart_parts``).
4. ``needs-scope`` is a job state (a file outside every scope folder, held until
   a person chooses one); earlier schemas failed such a file with "no scope
   folder …; choose a scope", which the migration turns into the state.
5. ``batches.owner``: the process that made the batch and runs its jobs
   (``host:pid:start``, `processes.process_identity`), so another process on
   the same store can tell a live owner's queued jobs from a dead one's
   (`jobs.enqueue`). Batches of earlier schemas have none: nobody runs them.
6. ``shared_sent``: the jobs this store's window sent to a shared queue, each with
   the message it went as and the outcome last seen (a restarted window still
   follows them).
7. ``uploaded.read_at``: when the upload that wrote a ledger row began (its job's
   ``started_at``), by which the watcher judges whether the file changed since
   (`files.change_clock`); rows of earlier schemas have none and are judged by
   ``uploaded_at``.
"""

from __future__ import annotations

import sqlite3

from hma_gui.core.errors import HmaError

SCHEMA_VERSION = 7

_V1 = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(name, value) VALUES ('rev', 0);

CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    label TEXT NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    root TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER,
    md5 TEXT,
    scope TEXT,
    bucket TEXT,
    key TEXT,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    decision TEXT,
    owner TEXT,
    rev INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, batch_id, id);
CREATE INDEX IF NOT EXISTS jobs_rev ON jobs(rev);
CREATE INDEX IF NOT EXISTS jobs_target ON jobs(source, bucket, key);

-- What was uploaded, kept when jobs are cleared: the watcher's catch-up reads it.
CREATE TABLE IF NOT EXISTS uploaded (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER,
    md5 TEXT,
    etag TEXT,
    uploaded_at REAL NOT NULL,
    PRIMARY KEY (bucket, key)
);
CREATE INDEX IF NOT EXISTS uploaded_source ON uploaded(source);

-- Counters per (batch, state), kept by triggers: O(1) to read at any queue size.
CREATE TABLE IF NOT EXISTS counts (
    batch_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY (batch_id, state)
);

CREATE TRIGGER IF NOT EXISTS jobs_count_insert AFTER INSERT ON jobs BEGIN
    INSERT INTO counts(batch_id, state, n, bytes) VALUES (NEW.batch_id, NEW.state, 1, NEW.size)
    ON CONFLICT(batch_id, state) DO UPDATE SET n = n + 1, bytes = bytes + NEW.size;
END;

CREATE TRIGGER IF NOT EXISTS jobs_count_delete AFTER DELETE ON jobs BEGIN
    UPDATE counts SET n = n - 1, bytes = bytes - OLD.size
    WHERE batch_id = OLD.batch_id AND state = OLD.state;
END;

CREATE TRIGGER IF NOT EXISTS jobs_count_update AFTER UPDATE OF state, size, batch_id ON jobs
WHEN OLD.state != NEW.state OR OLD.size != NEW.size OR OLD.batch_id != NEW.batch_id
BEGIN
    UPDATE counts SET n = n - 1, bytes = bytes - OLD.size
    WHERE batch_id = OLD.batch_id AND state = OLD.state;
    INSERT INTO counts(batch_id, state, n, bytes) VALUES (NEW.batch_id, NEW.state, 1, NEW.size)
    ON CONFLICT(batch_id, state) DO UPDATE SET n = n + 1, bytes = bytes + NEW.size;
END;
"""


# Schema 1's mark of a file waiting for a decision (read by the migration only).
V1_WAITING_ERROR = "waiting for your duplicate decision (Duplicates tab: Review duplicates…)"

_JOBS_COLUMNS = (
    "id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key, state, attempts,"
    " error, retryable, etag, decision, owner, rev, created_at, updated_at, started_at,"
    " finished_at"
)

# SQLite cannot change a CHECK constraint: the jobs table is built again and filled.
_V2 = """
CREATE TABLE jobs_v2 (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    root TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER,
    md5 TEXT,
    scope TEXT,
    bucket TEXT,
    key TEXT,
    state TEXT NOT NULL
        CHECK (state IN ('queued', 'running', 'done', 'failed', 'skipped', 'waiting')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    decision TEXT CHECK (decision IN ('upload', 'skip', 'overwrite', 'keep-both')),
    owner TEXT,
    rev INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
"""

_V2_AFTER = """
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, batch_id, id);
CREATE INDEX IF NOT EXISTS jobs_rev ON jobs(rev);
CREATE INDEX IF NOT EXISTS jobs_target ON jobs(source, bucket, key);
DELETE FROM counts;
INSERT INTO counts(batch_id, state, n, bytes)
    SELECT batch_id, state, COUNT(*), SUM(size) FROM jobs GROUP BY batch_id, state;
"""


# 3: conditional writes and resumable multipart uploads.
_V3 = """
-- What the duplicate check saw at the key: '*' = nothing (If-None-Match: *), else the
-- ETag an overwrite replaces (If-Match); NULL = write unconditionally.
ALTER TABLE jobs ADD COLUMN expected_etag TEXT;

-- Multipart uploads this store started and has not completed or aborted yet. Kept when
-- their job is removed, so `resume` can still abort them (job_id then points nowhere).
CREATE TABLE IF NOT EXISTS multipart_uploads (
    upload_id TEXT PRIMARY KEY,
    job_id INTEGER NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    part_size INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS multipart_uploads_job ON multipart_uploads(job_id);

CREATE TABLE IF NOT EXISTS multipart_parts (
    upload_id TEXT NOT NULL REFERENCES multipart_uploads(upload_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    etag TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);
"""


# 4: files outside every scope folder are held as ``needs-scope`` jobs. The jobs table
# is built again (its CHECK constraint), with every column schema 3 has.
_V4 = """
CREATE TABLE jobs_v4 (
    id INTEGER PRIMARY KEY,
    batch_id INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    root TEXT,
    size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER,
    md5 TEXT,
    scope TEXT,
    bucket TEXT,
    key TEXT,
    state TEXT NOT NULL CHECK (
        state IN ('queued', 'running', 'done', 'failed', 'skipped', 'waiting', 'needs-scope')
    ),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    retryable INTEGER NOT NULL DEFAULT 0,
    etag TEXT,
    decision TEXT CHECK (decision IN ('upload', 'skip', 'overwrite', 'keep-both')),
    owner TEXT,
    rev INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    expected_etag TEXT
);
"""
# The error earlier schemas gave a file outside every scope folder (a LIKE pattern,
# read by the migration only).
NO_SCOPE_ERROR_BEFORE_V4 = "no scope folder (%; choose a scope"

# 5: who runs a batch (NULL: nobody, e.g. a batch of an earlier schema).
_V5 = "ALTER TABLE batches ADD COLUMN owner TEXT"

# 6: jobs sent to a shared queue (`SharedLinks`); a job sent again replaces its row.
_V6 = """
CREATE TABLE IF NOT EXISTS shared_sent (
    job_id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    message TEXT NOT NULL,
    queue TEXT NOT NULL,
    sent_at REAL NOT NULL,
    outcome TEXT NOT NULL DEFAULT 'sent'
        CHECK (outcome IN ('sent', 'done', 'failed', 'dead-lettered')),
    reason TEXT,
    checked_at REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS shared_sent_checked ON shared_sent(outcome, checked_at);
"""

_V7 = "ALTER TABLE uploaded ADD COLUMN read_at REAL"


def migrate(cur: sqlite3.Cursor) -> None:
    """Bring the schema to `SCHEMA_VERSION` inside the caller's transaction."""
    version = int(cur.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise HmaError(
            f"the job store was written by a newer HMA Ingest (schema {version}); "
            f"this version understands up to {SCHEMA_VERSION}"
        )
    if version < 1:
        for statement in _split(_V1):
            cur.execute(statement)
    if version < 2:
        _to_v2(cur)
    if version < 3:
        for statement in _split(_V3):
            cur.execute(statement)
    if version < 4:
        _to_v4(cur)
    if version < 5:
        cur.execute(_V5)
    if version < 6:
        for statement in _split(_V6):
            cur.execute(statement)
    if version < 7:
        cur.execute(_V7)
    cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _to_v2(cur: sqlite3.Cursor) -> None:
    """Waiting becomes a state; a decision that is not a `Decision` code is dropped."""
    cur.execute(_V2)
    cur.execute(
        f"INSERT INTO jobs_v2({_JOBS_COLUMNS})"  # noqa: S608 - a fixed column list
        " SELECT id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key,"
        " CASE WHEN state = 'skipped' AND error = :waiting THEN 'waiting' ELSE state END,"
        " attempts,"
        " CASE WHEN state = 'skipped' AND error = :waiting THEN NULL ELSE error END,"
        " retryable, etag,"
        " CASE WHEN decision IN ('upload', 'skip', 'overwrite', 'keep-both') THEN decision END,"
        " owner, rev, created_at, updated_at, started_at,"
        " CASE WHEN state = 'skipped' AND error = :waiting THEN NULL ELSE finished_at END"
        " FROM jobs",
        {"waiting": V1_WAITING_ERROR},
    )
    _replace_jobs(cur, "jobs_v2")


def _to_v4(cur: sqlite3.Cursor) -> None:
    """Needs-scope becomes a state: a failure for want of a scope folder turns into it."""
    columns = f"{_JOBS_COLUMNS}, expected_etag"
    cur.execute(_V4)
    cur.execute(
        f"INSERT INTO jobs_v4({columns})"  # noqa: S608 - a fixed column list
        " SELECT id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key,"
        " CASE WHEN state = 'failed' AND bucket IS NULL AND error LIKE :no_scope"
        " THEN 'needs-scope' ELSE state END,"
        " attempts, error, retryable, etag, decision, owner, rev, created_at, updated_at,"
        " started_at, finished_at, expected_etag FROM jobs",
        {"no_scope": NO_SCOPE_ERROR_BEFORE_V4},
    )
    _replace_jobs(cur, "jobs_v4")


def _replace_jobs(cur: sqlite3.Cursor, rebuilt: str) -> None:
    """The rebuilt table becomes ``jobs``: its triggers, indexes and counts made again."""
    cur.execute("DROP TABLE jobs")  # and its indexes and triggers
    cur.execute(f"ALTER TABLE {rebuilt} RENAME TO jobs")
    for statement in _split(_V1):
        if statement.startswith("CREATE TRIGGER"):
            cur.execute(statement)
    for statement in _split(_V2_AFTER):
        cur.execute(statement)


def _split(script: str) -> list[str]:
    """Statements of a script, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return statements
