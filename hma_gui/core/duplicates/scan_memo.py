"""A whole local duplicate scan, kept by the identities of every file it walked.

A re-scan of an unchanged tree must give the same groups as the scan before it:
each file's bytes are vouched for by its identity (path, size, mtime_ns, inode,
device, ctime_ns), exactly as the hash cache vouches for one file's MD5. So the
finished result of a scan is kept in the hash cache under a digest of all the
walked identities (`scan_key`), and a walk that finds every identity unchanged —
no file added, removed, touched, rewritten in place or replaced — answers from
it instead of looking up, comparing and grouping tens of thousands of files
again (the 50,000-file bench tree: ~0.4 s of a 0.8 s re-scan).

Only a complete result is kept (no file that could not be read): a scan with
problems is done again, so the problems are met and shown again. Clearing or
forgetting entries of the cache drops the kept scans too (`HashCache.forget`).
The result is kept as JSON (`LocalScanResult.kept`), never pickled: the cache
file is data, not code.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence

from hma_gui.core.files.file_walk import WalkedFile
from hma_gui.core.hashes.file_hasher import HEAD_BYTES

_FORMAT = 1  # of the kept result; part of the key, so another format is never read


def scan_key(files: Sequence[WalkedFile]) -> str:
    """A digest of every walked identity, in walk order (50,000 files: ~20 ms)."""
    digest = hashlib.blake2b(marshal.dumps((_FORMAT, HEAD_BYTES)), digest_size=20)
    digest.update(marshal.dumps(list(files)))
    return digest.hexdigest()
