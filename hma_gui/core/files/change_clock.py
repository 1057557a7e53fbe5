"""Whether what was read of a file can be trusted later by its (size, mtime, ctime).

The kernel stamps mtime and ctime from a clock coarser than ``time.time()`` (a tick:
4 ms at HZ=250, up to 10 ms; a network file system stamps them with its server's
clock). A change in the same tick as an earlier look at the file leaves all three as
they were, so a file read (hashed, uploaded) and then changed within that tick looks
unchanged ever after. git calls such an index entry "racily clean" and re-hashes it.

The job store's rule does the same (`jobs.enqueue`): an upload counts as done and
unchanged since only when the file's last change (its ctime) lies more than
`CLOCK_GRAIN_NS` before the upload began. One second is far above a tick and above
the skew of an NTP-synced share; what it costs is that a file changed less than a
second before its upload gets a new job next time, whose S3 check skips it when S3
holds the same bytes.

The hash cache does the same (`hashes.hash_cache`): a hash of a file changed less than
a grain before it was stored is not written, and serves only the process that computed
it (`hashes.fresh_hashes`); a whole duplicate scan is kept only when no file it walked
changed within a grain before the walk began (`duplicates.local`). Otherwise a later
run would trust a stale hash, and could call a changed file "already in S3".
"""

from __future__ import annotations

CLOCK_GRAIN_NS = 1_000_000_000


def settled_before(ctime_ns: int | None, at: float) -> bool:
    """The file's last change (`ctime_ns`) lies over a grain before `at` (a ``time.time()``).

    An unknown ctime is not settled.
    """
    return ctime_ns is not None and ctime_ns < int(at * 1_000_000_000) - CLOCK_GRAIN_NS
