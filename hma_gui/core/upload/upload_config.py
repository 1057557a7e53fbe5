"""What an upload is told (`UploadConfig`), answers (`UploadResult`), and the MD5 metadata key.

Features that only read these (the duplicate check, the S3 inventory, the ETL's
sandbox loader) import them from here, without the uploader and its thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings


MD5_METADATA_KEY = "md5"
MAX_PARTS = 10_000
# The largest file obstore sends (`fast_put`): its gain is per request, its body is in memory.
FAST_PUT_MAX = 1024 * 1024


@dataclass(frozen=True, slots=True)
class UploadConfig:
    multipart_threshold: int = 100 * 1024 * 1024
    part_size: int = 8 * 1024 * 1024
    sse: str = "AES256"  # "AES256", "aws:kms" or "none"
    sse_kms_key_id: str | None = None
    part_workers: int = 8
    bwlimit: int = 0  # bytes per second for all transfers of the process; 0: unlimited
    # Who sends the bytes of single PUTs: "auto" (obstore up to `fast_put_max` and
    # `stream_put` above it, when obstore is installed and able to carry our
    # guarantees), "obstore" (the same, and an error when not installed) or "botocore"
    # (always). Multipart uploads and the control plane are botocore's.
    transfer: str = "auto"
    fast_put_max: int = FAST_PUT_MAX

    @classmethod
    def from_settings(cls, settings: Settings) -> UploadConfig:
        return cls(
            multipart_threshold=int(settings.multipart_threshold),
            part_size=int(settings.multipart_chunksize),
            sse=settings.sse,
            sse_kms_key_id=settings.sse_kms_key_id,
            part_workers=max(2, settings.concurrency),
            bwlimit=int(settings.bwlimit),
            transfer=_transfer_of(settings),
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
    # A conditional write was refused because the key already held these bytes
    # (another upload of the same content won the race): nothing was written.
    already_there: bool = False


def _transfer_of(settings: Settings) -> str:
    """``transfer``, except that ``auto`` with ``retry_mode = "adaptive"`` is botocore.

    Adaptive retries are botocore's client-side rate limiter (it slows every request
    down once S3 throttles); obstore and `stream_put` retry like botocore's standard
    mode only, so a user who asks for the limiter gets botocore on every PUT.
    """
    if settings.transfer == "auto" and settings.retry_mode == "adaptive":
        return "botocore"
    return settings.transfer
