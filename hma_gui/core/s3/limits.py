"""S3's size limits, checked when a job is planned rather than after hours of hashing."""

from __future__ import annotations

TiB = 1024**4
MAX_OBJECT_SIZE = 5 * TiB  # the largest object S3 stores
MAX_PUT_SIZE = 5 * 1024**3  # the largest single PUT (and part): 5 GiB


def object_size_problem(size: int) -> str | None:
    """Why a file of `size` bytes cannot become an S3 object, or None."""
    if size > MAX_OBJECT_SIZE:
        return f"the file is {size / TiB:.2f} TiB; S3 objects can be at most 5 TiB"
    return None
