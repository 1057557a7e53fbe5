"""Multipart uploads that survive a restart.

Parts go out in parallel from one shared pool, each read once (``pread``) with
its own ``Content-MD5``. With a `MultipartJournal` (the job store's, per job)
the upload id and every part sent are written down as they happen; a later
try of the same job — `hma-ingest resume`, the window's resume at start —
asks S3 which parts it has (ListParts, the authority) and sends only the
others. A file that changed meanwhile (size, mtime or ctime) gets its old
upload aborted and starts over.

A failure that another try may cure (cancel, Ctrl-C, a dead endpoint, 5xx)
keeps the upload for that try; anything else (the file changed, S3 refused,
a conflict) aborts it, as does any failure without a journal. Uploads of
ours left behind anyway are aborted by `orphans.abort_orphaned_uploads`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import time
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import botocore.exceptions as bce

from hma_gui.core.errors import Cancelled, IntegrityError, SourceFileError, UploadError
from hma_gui.core.hashes.digests import clean_etag, multipart_etag
from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.s3.client import S3Client, translate_error
from hma_gui.core.upload.bandwidth import BandwidthLimit
from hma_gui.core.upload.body import BodyCancelled, ProgressBody
from hma_gui.core.upload.conditions import Expected, is_refusal, judge_refusal
from hma_gui.core.upload.multipart_state import MultipartJournal, MultipartState
from hma_gui.core.upload.source_file import check_unchanged, content_type
from hma_gui.core.upload.upload_config import MD5_METADATA_KEY, UploadConfig, UploadResult

if TYPE_CHECKING:
    from _typeshed import StrPath

logger = logging.getLogger(__name__)


def keeps_for_resume(exc: BaseException) -> bool:
    """True for failures after which a later try should resume the upload, not restart it."""
    if isinstance(exc, Cancelled | BodyCancelled | KeyboardInterrupt | SystemExit):
        return True
    if isinstance(exc, SourceFileError | IntegrityError):
        return False
    if isinstance(exc, UploadError):
        return exc.retryable and exc.code != "conflict"
    if isinstance(exc, bce.ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        return status >= 500 or status in (408, 429)
    return isinstance(exc, bce.BotoCoreError)  # connection errors and their like


class MultipartSender:
    """Sends one file in parts through a shared pool of part threads."""

    def __init__(
        self, client: S3Client, config: UploadConfig, limit: BandwidthLimit, endpoint: str | None
    ) -> None:
        self._client = client
        self._config = config
        self._limit = limit
        self._endpoint = endpoint
        self._pool = ThreadPoolExecutor(config.part_workers, thread_name_prefix="s3-part")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def upload(
        self,
        path: StrPath,
        info: os.stat_result,
        bucket: str,
        key: str,
        md5_hex: Any,  # () -> str: the file's MD5, computed only when a new upload needs it
        progress: ByteSink | None,
        cancel: CancelToken,
        expected: Expected | None,
        journal: MultipartJournal | None,
    ) -> UploadResult:
        part_size = self._config.part_size_for(info.st_size)
        state = self._resumable(journal, bucket, key, info, part_size)
        if state is None:
            state = self._create(path, info, bucket, key, part_size, md5_hex(), journal)
        try:
            digests, etags = self._send_parts(path, info, state, progress, cancel, journal)
            check_unchanged(path, info)
            response = self._complete(state, etags, expected)
        except BaseException as exc:
            if journal is None or not keeps_for_resume(exc):
                self.abort(bucket, key, state.upload_id)
                if journal is not None:
                    journal.finished(state.upload_id)
            raise
        if journal is not None:
            journal.finished(state.upload_id)
        if response is None:  # refused: our parts are not needed whoever wrote the key
            self.abort(bucket, key, state.upload_id)
            etag, sse = judge_refusal(self._client, bucket, key, expected or Expected(), state.md5)
            return UploadResult(
                etag, state.md5, info.st_size, info.st_mtime_ns, len(etags), sse, True
            )
        etag = clean_etag(response.get("ETag"))
        if self._config.sse != "aws:kms" and etag != multipart_etag(digests):
            raise IntegrityError(
                f"s3://{bucket}/{key}: ETag {etag or '(none)'} does not match the local "
                f"checksum {multipart_etag(digests)}"
            )
        return UploadResult(
            etag,
            state.md5,
            info.st_size,
            info.st_mtime_ns,
            len(digests),
            response.get("ServerSideEncryption"),
        )

    # ----------------------------------------------------------------- steps

    def _resumable(
        self,
        journal: MultipartJournal | None,
        bucket: str,
        key: str,
        info: os.stat_result,
        part_size: int,
    ) -> MultipartState | None:
        """The journal's upload with the parts S3 has, or None to start a new one."""
        state = journal.load() if journal is not None else None
        if state is None or journal is None:
            return None
        if not state.fits(bucket, key, info, part_size):
            logger.info("%s changed since its upload began: starting over", key)
            self.abort(state.bucket, state.key, state.upload_id)
            journal.finished(state.upload_id)
            return None
        try:
            parts = self.list_parts(bucket, key, state.upload_id)
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
            journal.finished(state.upload_id)  # completed, aborted or expired meanwhile
            return None
        return replace(state, parts=parts)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> dict[int, str]:
        parts: dict[int, str] = {}
        marker = 0
        while True:
            page = self._client.list_parts(
                Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker
            )
            for part in page.get("Parts", []):
                parts[int(part["PartNumber"])] = str(part["ETag"])
            if not page.get("IsTruncated"):
                return parts
            marker = int(page.get("NextPartNumberMarker", 0))

    def _create(
        self,
        path: StrPath,
        info: os.stat_result,
        bucket: str,
        key: str,
        part_size: int,
        md5_hex: str,
        journal: MultipartJournal | None,
    ) -> MultipartState:
        created = self._client.create_multipart_upload(
            Bucket=bucket,
            Key=key,
            ContentType=content_type(path),
            Metadata={MD5_METADATA_KEY: md5_hex},
            **self._config.sse_args(),  # type: ignore[arg-type]
        )
        state = MultipartState(
            created["UploadId"], bucket, key, part_size, info.st_size, info.st_mtime_ns,
            info.st_ctime_ns, md5_hex, time.time(),
        )  # fmt: skip
        if journal is not None:
            journal.started(state)
        return state

    def _complete(self, state: MultipartState, etags: list[str], expected: Expected | None) -> Any:
        """CompleteMultipartUpload (conditional); None when the precondition was refused."""
        try:
            return self._client.complete_multipart_upload(
                Bucket=state.bucket,
                Key=state.key,
                UploadId=state.upload_id,
                MultipartUpload={
                    "Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, 1)]
                },
                **(expected.request_args() if expected else {}),  # type: ignore[arg-type]
            )
        except bce.ClientError as exc:
            if expected is not None and is_refusal(exc):
                return None
            raise

    def _send_parts(
        self,
        path: StrPath,
        info: os.stat_result,
        state: MultipartState,
        progress: ByteSink | None,
        cancel: CancelToken,
        journal: MultipartJournal | None,
    ) -> tuple[list[bytes], list[str]]:
        part_size = state.part_size
        count = max(1, (info.st_size + part_size - 1) // part_size)
        results: dict[int, tuple[bytes, str]] = {}
        for number, etag in state.parts.items():
            if 1 <= number <= count:  # S3 has it: count it as sent
                results[number] = (_digest_of(etag), etag)
                if progress is not None:
                    progress(min(part_size, info.st_size - (number - 1) * part_size))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            futures: dict[int, Future[tuple[bytes, str]]] = {}
            for number in range(1, count + 1):
                if number in results:
                    continue
                offset = (number - 1) * part_size
                length = min(part_size, info.st_size - offset)
                futures[number] = self._pool.submit(
                    self._send_part, fd, offset, length, number, state, progress, cancel, journal
                )
            done, pending = wait(futures.values(), return_when=FIRST_EXCEPTION)
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                for future in pending:
                    future.cancel()
                wait(pending)
                raise failed.exception()  # type: ignore[misc]
            results.update((n, f.result()) for n, f in futures.items())
        finally:
            os.close(fd)
        ordered = [results[n] for n in range(1, count + 1)]
        return [r[0] for r in ordered], [r[1] for r in ordered]

    def _send_part(
        self,
        fd: int,
        offset: int,
        length: int,
        number: int,
        state: MultipartState,
        progress: ByteSink | None,
        cancel: CancelToken,
        journal: MultipartJournal | None,
    ) -> tuple[bytes, str]:
        cancel.raise_if_cancelled()
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise SourceFileError("the file became shorter while it was being uploaded")
        digest = hashlib.md5(data, usedforsecurity=False).digest()
        response = self._client.upload_part(
            Bucket=state.bucket,
            Key=state.key,
            UploadId=state.upload_id,
            PartNumber=number,
            Body=ProgressBody(data, progress, cancel, self._limit),
            ContentLength=length,
            ContentMD5=base64.b64encode(digest).decode("ascii"),
        )
        etag = response["ETag"]
        if self._config.sse != "aws:kms" and clean_etag(etag) != digest.hex():
            raise IntegrityError(f"part {number} of {state.key}: S3 stored different bytes")
        if journal is not None:
            journal.part_sent(state.upload_id, number, etag)
        return digest, etag

    def drop_journal(self, journal: MultipartJournal | None) -> None:
        """The key holds the file already: the upload the journal kept is not needed."""
        state = journal.load() if journal is not None else None
        if state is None or journal is None:
            return
        self.abort(state.bucket, state.key, state.upload_id)
        journal.finished(state.upload_id)

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except bce.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchUpload":
                self._abort_failed(bucket, key, exc)  # else: completed or aborted already
        except Exception as exc:  # noqa: BLE001 - the upload failed already; do not mask it
            self._abort_failed(bucket, key, exc)

    def _abort_failed(self, bucket: str, key: str, exc: Exception) -> None:
        logger.warning(
            "could not abort multipart upload of s3://%s/%s: %s",
            bucket, key, translate_error(exc, bucket=bucket, endpoint=self._endpoint),
        )  # fmt: skip


def _digest_of(etag: str) -> bytes:
    """A part's MD5 from its ETag (SSE-S3 or none); b"" where the ETag is no MD5 (KMS)."""
    try:
        return bytes.fromhex(clean_etag(etag))
    except ValueError:
        return b""
