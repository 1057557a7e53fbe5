"""The job store's schema and its migrations (``PRAGMA user_version`` tracks the level).

1. The jobs, the batches, the ledger of uploaded files, counters kept by triggers.
2. ``needs-scope`` is a job state (a file outside every scope folder, held until
   a person chooses one); schema 1 failed such a file with "no scope folder …;
   choose a scope", which the migration turns into the state.
"""

from __future__ import annotations

import sqlite3

from hma_gui.core.errors import HmaError

SCHEMA_VERSION = 2

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


_JOBS_COLUMNS = (
    "id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key, state, attempts,"
    " error, retryable, etag, decision, owner, rev, created_at, updated_at, started_at,"
    " finished_at"
)
_V2_STATES = ("queued", "running", "done", "failed", "skipped", "needs-scope")
# Schema 1's error for a file outside every scope folder (read by the migration only).
V1_NO_SCOPE_ERROR = "no scope folder (%; choose a scope"


def _jobs_table(name: str, states: tuple[str, ...]) -> str:
    """The jobs table's definition (the same as schema 1's but for the states allowed)."""
    start = _V1.index("CREATE TABLE IF NOT EXISTS jobs (")
    table = _V1[start : _V1.index(");", start) + 2]
    allowed = ", ".join(f"'{state}'" for state in states)
    table = table.replace("CREATE TABLE IF NOT EXISTS jobs (", f"CREATE TABLE {name} (")
    return table.replace(
        "CHECK (state IN ('queued', 'running', 'done', 'failed', 'skipped'))",
        f"CHECK (state IN ({allowed}))",
    )


def _to_v2(cur: sqlite3.Cursor) -> None:
    """SQLite cannot change a CHECK constraint: the jobs table is built again and filled."""
    cur.execute(_jobs_table("jobs_v2", _V2_STATES))
    cur.execute(
        f"INSERT INTO jobs_v2({_JOBS_COLUMNS})"  # noqa: S608 - a fixed column list
        " SELECT id, batch_id, source, root, size, mtime_ns, md5, scope, bucket, key,"
        " CASE WHEN state = 'failed' AND bucket IS NULL AND error LIKE :no_scope"
        " THEN 'needs-scope' ELSE state END,"
        " attempts, error, retryable, etag, decision, owner, rev, created_at, updated_at,"
        " started_at, finished_at FROM jobs",
        {"no_scope": V1_NO_SCOPE_ERROR},
    )
    cur.execute("DROP TABLE jobs")  # and its indexes and triggers
    cur.execute("ALTER TABLE jobs_v2 RENAME TO jobs")
    for statement in _split(_V1):
        if statement.startswith(("CREATE INDEX IF NOT EXISTS jobs_", "CREATE TRIGGER")):
            cur.execute(statement)
    cur.execute("DELETE FROM counts")
    cur.execute(
        "INSERT INTO counts(batch_id, state, n, bytes)"
        " SELECT batch_id, state, COUNT(*), SUM(size) FROM jobs GROUP BY batch_id, state"
    )


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
    cur.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


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
