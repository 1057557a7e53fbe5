"""Abort the multipart uploads of ours that nobody will finish.

An unfinished multipart upload costs storage until it is completed or aborted.
Ours are the ones the job store's ledger recorded (`JobStore.multipart`). At
`resume` (and when the window starts) each is looked up in S3's
ListMultipartUploads under its key; one whose job is no longer waiting to run
(finished, failed for good, removed) is aborted, one S3 no longer has is
forgotten, and one whose job is queued or running stays for that job to resume.
Uploads under our prefixes that the ledger does not know (another machine's,
another tool's) are left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hma_gui.core.jobs.store import JobState, JobStore
from hma_gui.core.s3.client import S3Client, translate_error

logger = logging.getLogger(__name__)

_RESUMABLE = (JobState.QUEUED.value, JobState.RUNNING.value)


@dataclass(frozen=True, slots=True)
class OrphanReport:
    aborted: int = 0
    kept: int = 0  # their jobs will resume them
    forgotten: int = 0  # S3 no longer had them


def abort_orphaned_uploads(store: JobStore, client: S3Client) -> OrphanReport:
    """Abort our unfinished multipart uploads whose jobs will not resume them."""
    aborted = kept = forgotten = 0
    listed: dict[tuple[str, str], set[str]] = {}
    for state, _job_id, job_state in store.multipart.open_uploads():
        where = (state.bucket, state.key)
        if where not in listed:
            listed[where] = _upload_ids(client, state.bucket, state.key)
        if state.upload_id not in listed[where]:
            store.multipart.finished(state.upload_id)
            forgotten += 1
        elif job_state in _RESUMABLE:
            kept += 1
        else:
            try:
                client.abort_multipart_upload(
                    Bucket=state.bucket, Key=state.key, UploadId=state.upload_id
                )
            except Exception as exc:  # noqa: BLE001 - try again at the next resume
                error = translate_error(exc, bucket=state.bucket)
                logger.warning("could not abort an orphaned upload of %s: %s", state.key, error)
                continue
            store.multipart.finished(state.upload_id)
            aborted += 1
    if aborted:
        logger.info("aborted %d unfinished multipart upload(s) nobody will resume", aborted)
    return OrphanReport(aborted, kept, forgotten)


def _upload_ids(client: S3Client, bucket: str, key: str) -> set[str]:
    """The ids of the multipart uploads in progress for exactly `key`."""
    ids: set[str] = set()
    args: dict[str, str] = {"Bucket": bucket, "Prefix": key}
    while True:
        page = client.list_multipart_uploads(**args)  # type: ignore[arg-type]
        ids.update(u["UploadId"] for u in page.get("Uploads", []) if u.get("Key") == key)
        if not page.get("IsTruncated"):
            return ids
        args["KeyMarker"] = page.get("NextKeyMarker", "")
        args["UploadIdMarker"] = page.get("NextUploadIdMarker", "")
