"""Upload one file to S3, verified: single PUT below the threshold, multipart above it.

* A single PUT of a file up to 8 MiB sends it from memory; a larger one is
  hashed first and then streamed from disk, so memory stays flat.

* Every request carries ``Content-MD5``; S3 rejects a body that does not match.
* The file's MD5 goes into the object's metadata (``x-amz-meta-md5``) so later
  duplicate checks can compare content even for multipart objects.
* After the upload the returned ETag is compared with the one computed locally
  (the MD5, or MD5-of-part-MD5s ``-N`` for multipart). SSE-KMS ETags are not
  MD5s; there the server's Content-MD5 check is the proof.
* Request retries (throttling, 5xx, connection errors; exponential backoff with
  jitter) are botocore's; a rewound body reports negative progress, so progress
  never passes 100 %. A cancel stops a request in flight (`upload_body`).
* A file that changes while it is read is detected (size and mtime before and
  after) and not uploaded half-old, half-new.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
import os
import stat
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hma_gui.core.config.settings import Settings
from hma_gui.core.errors import Cancelled, IntegrityError, SourceFileError, UploadError
from hma_gui.core.hashes.digests import Md5Cache, NoMd5Cache, clean_etag, md5_file, multipart_etag
from hma_gui.core.progress import ByteSink, CancelToken
from hma_gui.core.s3.client import S3Client, translate_error
from hma_gui.core.s3.limits import MAX_PUT_SIZE, object_size_problem
from hma_gui.core.upload.body import BodyCancelled, ProgressBody, ProgressFile

logger = logging.getLogger(__name__)

MD5_METADATA_KEY = "md5"
MAX_PARTS = 10_000
IN_MEMORY_MAX = 8 * 1024 * 1024  # larger single PUTs are streamed from disk


@dataclass(frozen=True, slots=True)
class UploadConfig:
    multipart_threshold: int = 100 * 1024 * 1024
    part_size: int = 8 * 1024 * 1024
    sse: str = "AES256"  # "AES256", "aws:kms" or "none"
    sse_kms_key_id: str | None = None
    part_workers: int = 8

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadConfig:
        return cls(
            multipart_threshold=int(settings.multipart_threshold),
            part_size=int(settings.multipart_chunksize),
            sse=settings.sse,
            sse_kms_key_id=settings.sse_kms_key_id,
            part_workers=max(2, settings.concurrency),
        )

    def sse_args(self) -> dict[str, str]:
        if self.sse == "none":
            return {}
        args = {"ServerSideEncryption": self.sse}
        if self.sse == "aws:kms" and self.sse_kms_key_id:
            args["SSEKMSKeyId"] = self.sse_kms_key_id
        return args

    def part_size_for(self, size: int) -> int:
        """The configured part size, grown when needed to stay within 10,000 parts."""
        part = self.part_size
        while (size + part - 1) // part > MAX_PARTS:
            part *= 2
        return part


@dataclass(frozen=True, slots=True)
class UploadResult:
    etag: str
    md5: str
    size: int
    mtime_ns: int
    parts: int  # 0 for a single PUT
    sse: str | None


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
        self._parts = ThreadPoolExecutor(config.part_workers, thread_name_prefix="s3-part")

    @property
    def config(self) -> UploadConfig:
        return self._config

    def close(self) -> None:
        self._parts.shutdown(wait=True, cancel_futures=True)

    def upload(
        self,
        path: Path,
        bucket: str,
        key: str,
        *,
        progress: ByteSink | None = None,
        cancel: CancelToken | None = None,
    ) -> UploadResult:
        """Upload `path` to ``s3://bucket/key`` and verify it; raise an `HmaError` on failure."""
        cancel = cancel or CancelToken()
        cancel.raise_if_cancelled()
        info = _stat_regular(path)
        too_large = object_size_problem(info.st_size)
        if too_large:
            raise SourceFileError(too_large)
        try:
            if info.st_size >= self._config.multipart_threshold or info.st_size > MAX_PUT_SIZE:
                return self._multipart(path, info, bucket, key, progress, cancel)
            if info.st_size <= IN_MEMORY_MAX:
                return self._put(path, info, bucket, key, progress, cancel)
            return self._put_streamed(path, info, bucket, key, progress, cancel)
        except (UploadError, SourceFileError, Cancelled):
            raise
        except BodyCancelled:
            raise Cancelled(cancel.reason) from None
        except Exception as exc:  # botocore and friends: say it in words
            raise translate_error(exc, bucket=bucket, endpoint=self._endpoint) from exc

    # ----------------------------------------------------------------- single PUT

    def _put(
        self,
        path: Path,
        info: os.stat_result,
        bucket: str,
        key: str,
        progress: ByteSink | None,
        cancel: CancelToken,
    ) -> UploadResult:
        data, info = _read_stable(path, info)
        md5_hex = hashlib.md5(data, usedforsecurity=False).hexdigest()
        self._md5_cache.store(path, info, md5_hex)
        response = self._put_object(
            path, bucket, key, ProgressBody(data, progress, cancel), len(data), md5_hex
        )
        etag = clean_etag(response.get("ETag"))
        self._verify(etag, md5_hex, bucket, key)
        _check_unchanged(path, info)
        return UploadResult(
            etag, md5_hex, len(data), info.st_mtime_ns, 0, response.get("ServerSideEncryption")
        )

    def _put_streamed(
        self,
        path: Path,
        info: os.stat_result,
        bucket: str,
        key: str,
        progress: ByteSink | None,
        cancel: CancelToken,
    ) -> UploadResult:
        """One PUT of a file too large to hold in memory: hashed first, then streamed.

        If the file changes after it was hashed, S3 refuses the body (Content-MD5)
        or the checks after the upload notice it; either way it is reported as a
        changed file, which the runner tries again.
        """
        md5_hex = self._file_md5(path, info, cancel)
        with open(path, "rb", buffering=0) as raw:
            if _identity(os.fstat(raw.fileno())) != _identity(info):
                raise SourceFileError("the file changed after it was hashed", retryable=True)
            try:
                body = ProgressFile(raw, progress, cancel)
                response = self._put_object(path, bucket, key, body, info.st_size, md5_hex)
            except Exception:
                _check_unchanged(path, info)  # a changed file explains the failure best
                raise
        etag = clean_etag(response.get("ETag"))
        _check_unchanged(path, info)
        self._verify(etag, md5_hex, bucket, key)
        return UploadResult(
            etag, md5_hex, info.st_size, info.st_mtime_ns, 0, response.get("ServerSideEncryption")
        )

    def _put_object(
        self, path: Path, bucket: str, key: str, body: IO[bytes], length: int, md5_hex: str
    ) -> Any:
        """One PUT with the integrity header, our MD5 in the metadata and the SSE settings."""
        return self._client.put_object(
            Bucket=bucket,
            Key=key,
            Body=body,
            ContentLength=length,
            ContentMD5=base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii"),
            ContentType=_content_type(path),
            Metadata={MD5_METADATA_KEY: md5_hex},
            **self._config.sse_args(),  # type: ignore[arg-type]
        )

    def _file_md5(self, path: Path, info: os.stat_result, cancel: CancelToken) -> str:
        md5_hex = self._md5_cache.lookup(path, info)
        if md5_hex is None:
            md5_hex = md5_file(path, cancel=cancel)
            _check_unchanged(path, info)
            self._md5_cache.store(path, info, md5_hex)
        return md5_hex

    # ----------------------------------------------------------------- multipart

    def _multipart(
        self,
        path: Path,
        info: os.stat_result,
        bucket: str,
        key: str,
        progress: ByteSink | None,
        cancel: CancelToken,
    ) -> UploadResult:
        md5_hex = self._file_md5(path, info, cancel)
        part_size = self._config.part_size_for(info.st_size)
        created = self._client.create_multipart_upload(
            Bucket=bucket,
            Key=key,
            ContentType=_content_type(path),
            Metadata={MD5_METADATA_KEY: md5_hex},
            **self._config.sse_args(),  # type: ignore[arg-type]
        )
        upload_id = created["UploadId"]
        try:
            digests, etags = self._send_parts(
                path, info, bucket, key, upload_id, part_size, progress, cancel
            )
            _check_unchanged(path, info)
            response = self._client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={
                    "Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, 1)]
                },
            )
        except BaseException:
            self._abort(bucket, key, upload_id)
            raise
        etag = clean_etag(response.get("ETag"))
        self._verify(etag, multipart_etag(digests), bucket, key)
        return UploadResult(
            etag,
            md5_hex,
            info.st_size,
            info.st_mtime_ns,
            len(digests),
            response.get("ServerSideEncryption") or created.get("ServerSideEncryption"),
        )

    def _send_parts(
        self,
        path: Path,
        info: os.stat_result,
        bucket: str,
        key: str,
        upload_id: str,
        part_size: int,
        progress: ByteSink | None,
        cancel: CancelToken,
    ) -> tuple[list[bytes], list[str]]:
        count = max(1, (info.st_size + part_size - 1) // part_size)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            futures: list[Future[tuple[bytes, str]]] = []
            for number in range(1, count + 1):
                offset = (number - 1) * part_size
                length = min(part_size, info.st_size - offset)
                futures.append(
                    self._parts.submit(
                        self._send_part, fd, offset, length, number, bucket, key, upload_id,
                        progress, cancel,
                    )
                )  # fmt: skip
            done, pending = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                for future in pending:
                    future.cancel()
                wait(pending)
                raise failed.exception()  # type: ignore[misc]
            results = [f.result() for f in futures]
        finally:
            os.close(fd)
        return [r[0] for r in results], [r[1] for r in results]

    def _send_part(
        self,
        fd: int,
        offset: int,
        length: int,
        number: int,
        bucket: str,
        key: str,
        upload_id: str,
        progress: ByteSink | None,
        cancel: CancelToken,
    ) -> tuple[bytes, str]:
        cancel.raise_if_cancelled()
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise SourceFileError("the file became shorter while it was being uploaded")
        digest = hashlib.md5(data, usedforsecurity=False).digest()
        response = self._client.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=ProgressBody(data, progress, cancel),
            ContentLength=length,
            ContentMD5=base64.b64encode(digest).decode("ascii"),
        )
        etag = response["ETag"]
        if self._config.sse != "aws:kms" and clean_etag(etag) != digest.hex():
            raise IntegrityError(f"part {number} of {key}: S3 stored different bytes")
        return digest, etag

    def _abort(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except Exception as exc:  # noqa: BLE001 - the upload failed already; do not mask it
            logger.warning("could not abort multipart upload of s3://%s/%s: %s", bucket, key, exc)

    # ----------------------------------------------------------------- checks

    def _verify(self, etag: str, expected: str, bucket: str, key: str) -> None:
        if self._config.sse == "aws:kms":
            return  # KMS ETags are not MD5s; S3 verified Content-MD5 on every request
        if etag != expected:
            raise IntegrityError(
                f"s3://{bucket}/{key}: ETag {etag or '(none)'} does not match the local "
                f"checksum {expected}"
            )


def _stat_regular(path: Path) -> os.stat_result:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SourceFileError(
            "the file no longer exists (moved or deleted after it was queued)"
        ) from None
    except PermissionError:
        raise SourceFileError("permission denied: the file cannot be read") from None
    except OSError as exc:
        raise SourceFileError(f"cannot read the file: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceFileError("not a regular file")
    return info


def _read_stable(path: Path, info: os.stat_result) -> tuple[bytes, os.stat_result]:
    """The whole file, read so that it did not change while being read (two tries)."""
    for _ in range(2):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
                after = os.fstat(handle.fileno())
        except FileNotFoundError:
            raise SourceFileError("the file no longer exists (moved or deleted)") from None
        except PermissionError:
            raise SourceFileError("permission denied: the file cannot be read") from None
        except OSError as exc:
            raise SourceFileError(f"cannot read the file: {exc.strerror or exc}") from None
        if len(data) == after.st_size and after.st_mtime_ns == info.st_mtime_ns:
            return data, after
        info = after
    raise SourceFileError(
        "the file kept changing while it was read (is it still being written?)", retryable=True
    )


def _identity(info: os.stat_result) -> tuple[int, int, int, int]:
    # ctime too: an in-place rewrite that keeps size and mtime (cp -p) moves only it
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns


def _check_unchanged(path: Path, info: os.stat_result) -> None:
    try:
        now = path.stat()
    except OSError:
        raise SourceFileError("the file vanished while it was being uploaded") from None
    if _identity(now) != _identity(info):
        raise SourceFileError("the file changed while it was being uploaded", retryable=True)


def _content_type(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"
