"""Upload one file to S3, verified: single PUT below the threshold, multipart above it.

* A single PUT of a file up to 8 MiB sends it from memory (read once, hashed from
  those bytes, ``Content-MD5`` checked by S3); a larger one is streamed from disk.
  Files up to 1 MiB go through obstore when it is installed (`fast_put.FastPut`,
  ``HMA_TRANSFER``): the same guarantees, S3 checking ``x-amz-checksum-sha256``
  instead of ``Content-MD5``, for a third of botocore's client CPU per request.
  Larger single PUTs go through `stream_put.StreamPut` (http.client, our SigV4).
* A streamed PUT whose MD5 is known already (the hash cache: the duplicate check
  computed it) carries ``Content-MD5`` as well. Otherwise the file is read once:
  its MD5 is computed in the pass that sends it, and the ETag S3 computed from
  the bytes it received must equal it; a mismatch deletes the object and fails
  (retryably). With SSE-KMS the ETag is no MD5, so there the MD5 is computed
  first and sent as ``Content-MD5``.
* Multipart uploads (`multipart.MultipartSender`) carry ``Content-MD5`` per part,
  the file's MD5 in the metadata, and resume after a restart with a journal.
* The file's MD5 goes into the object's metadata (``x-amz-meta-md5``) whenever it
  is known before the request; a single-part ETag is the MD5 itself (SSE-S3 or
  none), so later duplicate checks can always compare content.
* Writes are conditional when the caller says what it expects at the key
  (`conditions.Expected`): a lost race is a `ConflictError`, or "already there"
  (`UploadResult.already_there`) when the key holds the same bytes.
* A job tried before (``earlier_attempt``: a process killed after its PUT landed
  but before the job was marked done, a retry after a lost answer) first asks S3
  what is at the key: the file's own bytes there are "already there", not sent
  again — with or without a precondition. One HEAD per such job; the file is
  hashed only when the object there has its size.
* Request retries (throttling, 5xx, connection errors; exponential backoff with
  jitter) are botocore's standard mode, or the same rules in `StreamPut` and
  obstore; a rewound body reports negative progress, so progress never passes
  100 %. A cancel stops a request in flight (`upload_body`).
* One `BandwidthLimit` paces every body the uploader sends (`set_bwlimit`).
* A file that changes while it is read is detected (size and mtime before and after).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import threading
import time
from typing import IO, TYPE_CHECKING, Any

import botocore.exceptions as bce

from hma_gui.core.errors import Cancelled, IntegrityError, SourceFileError, UploadError
from hma_gui.core.hashes.digests import Md5Cache, NoMd5Cache, clean_etag, md5_file
from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.s3.client import S3Client, bucket_region, is_wrong_region, translate_error
from hma_gui.core.s3.limits import MAX_PUT_SIZE, object_size_problem
from hma_gui.core.upload.bandwidth import BandwidthLimit
from hma_gui.core.upload.body import BodyCancelled, ProgressBody, ProgressFile
from hma_gui.core.upload.conditions import Expected, is_refusal, judge_refusal, stored_object
from hma_gui.core.upload.fast_put import FastPut
from hma_gui.core.upload.multipart import MultipartSender
from hma_gui.core.upload.multipart_state import MultipartJournal
from hma_gui.core.upload.source_file import (
    check_unchanged,
    content_type,
    identity,
    read_stable,
    stat_regular,
)
from hma_gui.core.upload.upload_config import (
    MAX_PARTS,
    MD5_METADATA_KEY,
    UploadConfig,
    UploadResult,
)

if TYPE_CHECKING:
    from _typeshed import StrPath

    from hma_gui.core.config.settings import Settings
    from hma_gui.core.upload.stream_put import StreamPut

__all__ = [
    "MAX_PARTS",
    "MD5_METADATA_KEY",
    "Expected",
    "UploadConfig",
    "UploadResult",
    "Uploader",
]

logger = logging.getLogger(__name__)
_NOT_SENT = object()  # `_put`: no direct path sent the file

IN_MEMORY_MAX = 8 * 1024 * 1024  # larger single PUTs are streamed from disk


class Uploader:
    """Uploads files with one shared client. Thread-safe: call `upload` from many threads."""

    def __init__(
        self,
        client: S3Client,
        config: UploadConfig,
        *,
        md5_cache: Md5Cache | None = None,
        endpoint: str | None = None,
    ) -> None:
        self._client = client
        self._config = config
        self._md5_cache = md5_cache or NoMd5Cache()
        self._endpoint = endpoint
        self._limit = BandwidthLimit(config.bwlimit)
        self._multipart = MultipartSender(client, config, self._limit, endpoint)
        self._fast = FastPut.for_client(client, config)  # None: botocore sends everything
        self._stream: StreamPut | None = None  # larger single PUTs, same setup: `_streamer`
        self._stream_lock = threading.Lock()
        self._stream_built = False
        self._redirected: set[str] = set()  # buckets in another region: botocore follows S3

    @property
    def transfer(self) -> str:
        """Who sends small files: "obstore" or "botocore"."""
        return "botocore" if self._fast is None else "obstore"

    @classmethod
    def for_settings(
        cls, settings: Settings, client: S3Client, *, md5_cache: Md5Cache | None = None
    ) -> Uploader:
        """The uploader of the window, the CLI and the watcher: one derivation from settings."""
        return cls(
            client,
            UploadConfig.from_settings(settings),
            md5_cache=md5_cache,
            endpoint=settings.effective_endpoint(),
        )

    @property
    def config(self) -> UploadConfig:
        return self._config

    @property
    def bwlimit(self) -> int:
        return self._limit.rate

    def set_bwlimit(self, rate: int) -> None:
        """Bytes per second for all uploads from now on (also those in flight); 0: off."""
        self._limit.set_rate(rate)

    def close(self) -> None:
        self._multipart.close()
        if self._fast is not None:
            self._fast.close()
        if self._stream is not None:
            self._stream.close()

    def upload(
        self,
        path: StrPath,
        bucket: str,
        key: str,
        *,
        progress: ByteSink | None = None,
        cancel: CancelToken | None = None,
        expected: Expected | None = None,
        journal: MultipartJournal | None = None,
        earlier_attempt: bool = False,
    ) -> UploadResult:
        """Upload `path` to ``s3://bucket/key`` and verify it; raise an `HmaError` on failure.

        `expected`: what must be at the key for the write to happen (None: write
        whatever is there). `journal`: where a multipart upload is remembered so
        that a later call for the same job resumes it. `earlier_attempt`: this
        job was tried before and may have written the key already.
        """
        cancel = cancel or CancelToken()
        cancel.raise_if_cancelled()
        info = stat_regular(path)
        too_large = object_size_problem(info.st_size)
        if too_large:
            raise SourceFileError(too_large)
        try:
            if earlier_attempt:
                found = self._written_before(path, info, bucket, key, cancel)
                if found is not None:
                    self._multipart.drop_journal(journal)
                    return found
            if info.st_size >= self._config.multipart_threshold or info.st_size > MAX_PUT_SIZE:
                return self._multipart.upload(
                    path, info, bucket, key, lambda: self._file_md5(path, info, cancel),
                    progress, cancel, expected, journal,
                )  # fmt: skip
            if info.st_size <= IN_MEMORY_MAX:
                return self._put(path, info, bucket, key, progress, cancel, expected)
            return self._put_streamed(path, info, bucket, key, progress, cancel, expected)
        except (UploadError, SourceFileError, Cancelled):
            raise
        except BodyCancelled:
            raise Cancelled(cancel.reason) from None
        except Exception as exc:  # botocore and friends: say it in words
            raise translate_error(exc, bucket=bucket, endpoint=self._endpoint) from exc

    # ----------------------------------------------------------------- single PUT

    def _put(
        self,
        path: StrPath,
        info: os.stat_result,
        bucket: str,
        key: str,
        progress: ByteSink | None,
        cancel: CancelToken,
        expected: Expected | None,
    ) -> UploadResult:
        data, info = read_stable(path, info)
        md5_hex = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._md5_cache.store(path, info, md5_hex)
        response: Any = _NOT_SENT
        if self._fast is not None and self._direct(bucket) and len(data) <= self._fast.max_size:
            try:
                response = self._fast_put(
                    path, bucket, key, data, md5_hex, progress, cancel, expected
                )
            except bce.ClientError as exc:
                self._hand_to_botocore(bucket, exc)
        if response is _NOT_SENT:
            body = ProgressBody(data, progress, cancel, self._limit)
            response = self._put_object(
                path, bucket, key, body, len(data), md5_hex, expected, cancel
            )
        if response is None:
            return self._already_there(bucket, key, expected, md5_hex, info)
        etag = clean_etag(response.get("ETag"))
        if self._config.sse != "aws:kms" and etag != md5_hex:
            self._delete_bad_copy(bucket, key, etag)  # a server that checked no digest
        self._verify(etag, md5_hex, bucket, key)
        check_unchanged(path, info)
        return UploadResult(
            etag, md5_hex, len(data), info.st_mtime_ns, 0, response.get("ServerSideEncryption")
        )

    def _fast_put(
        self,
        path: StrPath,
        bucket: str,
        key: str,
        data: bytes,
        md5_hex: str,
        progress: ByteSink | None,
        cancel: CancelToken,
        expected: Expected | None,
    ) -> Any:
        """obstore's PUT of a small file: paced and cancellable before it is sent.

        The body goes in one request (retried inside obstore), so progress moves
        once, by the whole size, when S3 has answered; a cancel during the
        request lets it finish. None when the precondition was refused.
        """
        assert self._fast is not None
        cancel.raise_if_cancelled()
        self._limit.take(len(data), cancel)
        cancel.raise_if_cancelled()
        try:
            response = self._fast.put(bucket, key, data, content_type(path), md5_hex, expected)
        except bce.ClientError as exc:
            if expected is None or not is_refusal(exc):
                raise
            response = None
        if progress is not None and data:
            progress(len(data))
        return response

    def _put_streamed(
        self,
        path: StrPath,
        info: os.stat_result,
        bucket: str,
        key: str,
        progress: ByteSink | None,
        cancel: CancelToken,
        expected: Expected | None,
    ) -> UploadResult:
        """One PUT of a file too large to hold in memory, streamed from disk.

        If the file changes while it is sent, S3 refuses the body (Content-MD5),
        the ETag differs from the MD5 of what was read, or the checks after the
        upload notice it; either way it is reported as a changed file, which the
        runner tries again.
        """
        md5_hex = self._md5_cache.lookup(path, info)
        if md5_hex is None and self._config.sse == "aws:kms":
            md5_hex = self._file_md5(path, info, cancel)  # KMS ETags are no MD5s
        read_at = time.time()
        with open(path, "rb", buffering=0) as raw:
            if identity(os.fstat(raw.fileno())) != identity(info):
                raise SourceFileError("the file changed after it was hashed", retryable=True)
            digest = hashlib.md5(usedforsecurity=False) if md5_hex is None else None
            body = ProgressFile(raw, progress, cancel, self._limit, digest)
            try:
                response = self._put_object(
                    path, bucket, key, body, info.st_size, md5_hex, expected, cancel
                )
            except Exception:
                check_unchanged(path, info)  # a changed file explains the failure best
                raise
        check_unchanged(path, info)
        sent_md5 = md5_hex or self._md5_of_sent(body, path, info, cancel)
        if response is None:
            return self._already_there(bucket, key, expected, sent_md5, info)
        etag = clean_etag(response.get("ETag"))
        if self._config.sse != "aws:kms" and etag != sent_md5:
            self._delete_bad_copy(bucket, key, etag)  # before `_verify` says so
        self._verify(etag, sent_md5, bucket, key)
        if md5_hex is None:
            self._md5_cache.store(path, info, sent_md5, read_at)
        return UploadResult(
            etag, sent_md5, info.st_size, info.st_mtime_ns, 0, response.get("ServerSideEncryption")
        )

    def _md5_of_sent(
        self, body: ProgressFile, path: StrPath, info: os.stat_result, cancel: CancelToken
    ) -> str:
        """The MD5 computed while sending; a second pass only if the body was not read whole."""
        if body.hashed_all(info.st_size):
            return str(body.digest.hexdigest())
        return self._file_md5(path, info, cancel)

    def _put_object(
        self,
        path: StrPath,
        bucket: str,
        key: str,
        body: IO[bytes],
        length: int,
        md5_hex: str | None,
        expected: Expected | None,
        cancel: CancelToken,
    ) -> Any:
        """One PUT with the integrity header and our MD5 (when known), SSE and precondition.

        None when the precondition was refused.
        """
        stream = self._streamer()
        if stream is not None and self._direct(bucket):
            try:
                return stream.put(
                    bucket, key, body, length, content_type(path), md5_hex, expected, cancel
                )
            except bce.ClientError as exc:
                if expected is not None and is_refusal(exc):
                    return None
                self._hand_to_botocore(bucket, exc)
                body.seek(0)  # botocore sends it again, from the start
        args: dict[str, Any] = {**self._config.sse_args()}
        if md5_hex is not None:
            args["ContentMD5"] = base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")
            args["Metadata"] = {MD5_METADATA_KEY: md5_hex}
        if expected is not None:
            args.update(expected.request_args())
        try:
            return self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ContentLength=length,
                ContentType=content_type(path),
                **args,
            )
        except bce.ClientError as exc:
            if expected is not None and is_refusal(exc):
                return None
            raise

    def _streamer(self) -> StreamPut | None:
        """`StreamPut`, built at the first file above obstore's size (http.client: ~15 ms)."""
        with self._stream_lock:
            if not self._stream_built:
                from hma_gui.core.upload.stream_put import StreamPut

                self._stream = StreamPut.beside(self._fast, self._config)
                self._stream_built = True
            return self._stream

    def _direct(self, bucket: str) -> bool:
        """Whether obstore / `stream_put` may carry files to `bucket` (S3 did not redirect)."""
        return bucket not in self._redirected

    def _hand_to_botocore(self, bucket: str, exc: bce.ClientError) -> None:
        """Raise `exc` unless it is S3's "another region": then botocore sends, from now on.

        The direct paths sign for the settings' region and do not follow S3's
        redirect; botocore does (and remembers the bucket's region).
        """
        if not is_wrong_region(exc):
            raise exc
        if bucket not in self._redirected:
            self._redirected.add(bucket)
            region = bucket_region(exc) or "another region"
            logger.info(
                "s3://%s is in %s, not the settings' region: botocore sends", bucket, region
            )

    def _already_there(
        self,
        bucket: str,
        key: str,
        expected: Expected | None,
        md5_hex: str,
        info: os.stat_result,
    ) -> UploadResult:
        etag, sse = judge_refusal(self._client, bucket, key, expected or Expected(), md5_hex)
        return UploadResult(etag, md5_hex, info.st_size, info.st_mtime_ns, 0, sse, True)

    def _written_before(
        self, path: StrPath, info: os.stat_result, bucket: str, key: str, cancel: CancelToken
    ) -> UploadResult | None:
        """The object an earlier attempt left at the key, when it holds this file's bytes."""
        there = stored_object(
            self._client, bucket, key, kms=self._config.sse == "aws:kms", forbidden_is_missing=True
        )
        if there is None or there.md5 is None or there.size != info.st_size:
            return None
        md5_hex = self._file_md5(path, info, cancel)
        if there.md5 != md5_hex:
            return None
        logger.info("s3://%s/%s already holds %s (an earlier attempt)", bucket, key, path)
        return UploadResult(there.etag, md5_hex, info.st_size, info.st_mtime_ns, 0, there.sse, True)

    def _delete_bad_copy(self, bucket: str, key: str, etag: str) -> None:
        """S3 stored other bytes than we read: do not leave them under the key."""
        try:
            self._client.delete_object(Bucket=bucket, Key=key, IfMatch=f'"{etag}"')
        except Exception as exc:  # noqa: BLE001 - the integrity error below says what matters
            logger.warning("could not delete the damaged s3://%s/%s: %s", bucket, key, exc)

    def _file_md5(self, path: StrPath, info: os.stat_result, cancel: CancelToken) -> str:
        md5_hex = self._md5_cache.lookup(path, info)
        if md5_hex is None:
            read_at = time.time()
            md5_hex = md5_file(path, cancel=cancel)
            check_unchanged(path, info)
            self._md5_cache.store(path, info, md5_hex, read_at)
        return md5_hex

    # ----------------------------------------------------------------- checks

    def _verify(self, etag: str, expected: str, bucket: str, key: str) -> None:
        if self._config.sse == "aws:kms":
            return  # KMS ETags are not MD5s; S3 verified Content-MD5 on every request
        if etag != expected:
            raise IntegrityError(
                f"s3://{bucket}/{key}: ETag {etag or '(none)'} does not match the local "
                f"checksum {expected}"
            )
