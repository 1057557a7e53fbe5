"""The durable job store: the upload queue's memory (``jobs.db``, SQLite in WAL mode).

One row per job, in one of the `JobState` states (a file outside every scope
folder waits as ``needs-scope`` until a scope is chosen: `set_targets`).
`JobStore` opens the file and puts together the store's parts, each a class of
its own with one concern:

==================  =======================================================
`StoreDb`           the connection, its lock, write transactions, revisions
`JobLifecycle`      a job's run: enqueue, claim, done/failed/skipped,
                    release, retry, crash recovery, removal
`DecisionWrites`    duplicate decisions made after enqueueing
`JobQueries`        reads: jobs, changes since a revision, counters, ledger
`MultipartLedger`   multipart uploads in progress, for resuming them
`SharedLinks`       jobs sent to a shared queue: their messages and outcomes
==================  =======================================================

Callers use one `JobStore` (share it across threads); its methods are its
parts' own (``store.claim`` is ``store.lifecycle.claim``), and a caller that
needs one concern only may be handed that part.
"""

from __future__ import annotations

from pathlib import Path

from hma_gui.core import app_dirs
from hma_gui.core.jobs.decision_writes import DecisionWrites
from hma_gui.core.jobs.lifecycle import JobLifecycle
from hma_gui.core.jobs.multipart_ledger import MultipartLedger
from hma_gui.core.jobs.queries import JobQueries
from hma_gui.core.jobs.records import (
    PENDING,
    START,
    Counters,
    Decision,
    Job,
    JobState,
    NewJob,
    UploadedRecord,
)
from hma_gui.core.jobs.schema import SCHEMA_VERSION
from hma_gui.core.jobs.shared_links import SharedLinks
from hma_gui.core.jobs.store_db import StoreDb
from hma_gui.core.processes import owner_is_alive, process_identity

__all__ = [
    "PENDING",
    "START",
    "Counters",
    "Decision",
    "Job",
    "JobState",
    "JobStore",
    "NewJob",
    "UploadedRecord",
    "owner_is_alive",
    "process_identity",
]


def default_store_path(sandboxed: bool) -> Path:
    """The job store of the window and the CLI; the sandbox keeps its own."""
    folder = app_dirs.data_dir() / "sandbox" if sandboxed else app_dirs.data_dir()
    return app_dirs.ensure_dir(folder) / "jobs.db"


class JobStore:
    """``jobs.db`` with its parts. Thread-safe: share one instance across threads."""

    schema_version = SCHEMA_VERSION

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = StoreDb(path)
        self.lifecycle = JobLifecycle(self.db, process_identity())
        self.decisions = DecisionWrites(self.db)
        self.queries = JobQueries(self.db)
        self.multipart = MultipartLedger(self.db.write, self.db.read)
        self.shared = SharedLinks(self.db)

        runs = self.lifecycle
        self.new_batch = runs.new_batch
        self.enqueue = runs.enqueue
        self.enqueue_files = runs.enqueue_files
        self.claim = runs.claim
        self.mark_done = runs.mark_done
        self.mark_done_many = runs.mark_done_many
        self.mark_failed = runs.mark_failed
        self.mark_skipped = runs.mark_skipped
        self.release = runs.release
        self.unclaim = runs.unclaim
        self.retry = runs.retry
        self.retry_failed = runs.retry_failed
        self.upload_again = runs.upload_again
        self.recover_orphans = runs.recover_orphans
        self.adopt = runs.adopt
        self.remove = runs.remove
        self.clear_finished = runs.clear_finished
        self.note_unchanged = runs.note_unchanged

        self.retarget = self.decisions.retarget
        self.redecide = self.decisions.redecide
        self.set_decision = self.decisions.set_decision
        self.set_targets = self.decisions.set_targets

        reads = self.queries
        self.get = reads.get
        self.jobs = reads.jobs
        self.current_rev = reads.current_rev
        self.changed_since = reads.changed_since
        self.changed_page = reads.changed_page
        self.ids = reads.ids
        self.counters = reads.counters
        self.unfinished_by_root = reads.unfinished_by_root
        self.uploaded_record = reads.uploaded_record
        self.uploaded_since = reads.uploaded_since
        self.pending_job = reads.pending_job
        self.pending_of_sizes = reads.pending_of_sizes
        self.has_waiting = reads.has_waiting

    @property
    def identity(self) -> str:
        """The owner this store writes on the jobs it claims (this process)."""
        return self.lifecycle.identity

    @identity.setter
    def identity(self, value: str) -> None:
        self.lifecycle.identity = value

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
