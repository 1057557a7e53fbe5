"""The S3 check: is each local file new, already uploaded, a conflict, or elsewhere in S3?

Each target prefix (a scope's prefix in its bucket) is listed once; every
local file is then classified against that listing:

* **new** — no object at its key, and its content is nowhere under the prefix;
* **already uploaded** — the object at its key has the same content;
* **conflict** — the object at its key has different content;
* **duplicate elsewhere** — no object at its key, the same content under another key;
* **undecided** — an object at its key has the same size, and nothing available
  can compare the content (an SSE-KMS or multipart object without the ``md5``
  metadata our uploader writes, uploaded with an unknown part size).

Content is compared exactly, never by size and date: a single-part ETag is the
MD5 of the object; for a multipart object the MD5 our uploader stored in the
metadata is read with one HEAD, and failing that the multipart ETag is
recomputed from the local file for the part sizes that give the same number
of parts. SSE-KMS ETags are not MD5s: a same-size object at the file's key
whose ETag does not match is HEADed once to learn its encryption, and then
compared by its metadata MD5 (with ``kms_expected``, when our own uploads use
SSE-KMS, same-size objects under other keys are HEADed the same way). Local
files are hashed only when an object of the same size exists; the finding
says how each file was decided (`Comparison`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from hma_gui.core.duplicates.local import ScanIssue
from hma_gui.core.hashes.file_hasher import FileHasher, HashTask
from hma_gui.core.s3.inventory import PrefixListing, RequestCounts, S3Inventory, S3Object

MiB = 1024 * 1024
# Part sizes that tools commonly use (boto3/aws cli 8 MiB, doubled for big files; 5, 15, 100 MiB).
COMMON_PART_SIZES = (8 * MiB, 5 * MiB, 16 * MiB, 15 * MiB, 32 * MiB, 64 * MiB, 100 * MiB, 128 * MiB)
MAX_PART_CANDIDATES = 6
MAX_PARTS = 10_000


class S3Class(StrEnum):
    NEW = "new"
    ALREADY_UPLOADED = "already-uploaded"
    CONFLICT = "conflict"
    DUPLICATE_ELSEWHERE = "duplicate-elsewhere"
    UNDECIDED = "undecided"


class Comparison(StrEnum):
    """How a finding was decided."""

    NOTHING_TO_COMPARE = "nothing-to-compare"  # no object at the key, none of the same size
    SIZE = "size"  # the sizes differ
    ETAG_MD5 = "etag-md5"  # single-part ETag compared with the local MD5
    METADATA_MD5 = "metadata-md5"  # the object's md5 metadata (HEAD) with the local MD5
    MULTIPART_ETAG = "multipart-etag"  # multipart ETag recomputed from the local file
    UNDECIDABLE = "undecidable"  # nothing could compare the content


@dataclass(frozen=True, slots=True)
class CheckItem:
    """A local file and where it would go."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    bucket: str
    key: str
    prefix: str = ""  # the listing that covers the key (the scope's prefix)
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class S3Finding:
    """One local file against S3 (a row of the GUI's S3 findings table)."""

    path: str
    size: int
    md5: str | None
    bucket: str
    key: str
    s3_class: S3Class
    how: Comparison
    detail: str  # one sentence: what was compared, or why nothing could be
    s3_size: int | None = None  # of the object at `key`, or of the copy elsewhere
    s3_etag: str | None = None
    s3_last_modified: datetime | None = None
    other_keys: tuple[str, ...] = ()  # keys in `bucket` holding the same content
    scope: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class S3CheckResult:
    findings: list[S3Finding] = field(default_factory=list)
    issues: list[ScanIssue] = field(default_factory=list)
    requests: RequestCounts = field(default_factory=lambda: RequestCounts(0, 0))
    listed: dict[str, int] = field(default_factory=dict)  # "s3://bucket/prefix" -> objects

    def of_class(self, s3_class: S3Class) -> list[S3Finding]:
        return [f for f in self.findings if f.s3_class is s3_class]

    def counts(self) -> dict[S3Class, int]:
        counts = dict.fromkeys(S3Class, 0)
        for finding in self.findings:
            counts[finding.s3_class] += 1
        return counts

    def by_path(self) -> dict[str, S3Finding]:
        return {f.path: f for f in self.findings}


@dataclass(frozen=True, slots=True)
class _Verdict:
    same: bool | None  # None: could not tell
    how: Comparison
    detail: str


class S3Checker:
    """Classifies local files against S3. `part_sizes` come first among multipart guesses."""

    def __init__(
        self,
        inventory: S3Inventory,
        hasher: FileHasher,
        *,
        part_sizes: Sequence[int] = (),
        kms_expected: bool = False,
    ) -> None:
        self.inventory = inventory
        self.hasher = hasher
        self.part_sizes = tuple(dict.fromkeys([*part_sizes, *COMMON_PART_SIZES]))
        # Our uploads use SSE-KMS: single-part ETags may not be MD5s anywhere under the
        # prefix, so a same-size object whose ETag differs is HEADed for its md5 metadata.
        self.kms_expected = kms_expected

    def check(
        self, items: Sequence[CheckItem], known_md5: Mapping[str, str] | None = None
    ) -> S3CheckResult:
        result = S3CheckResult()
        wheres = dict.fromkeys((i.bucket, i.prefix) for i in items)  # listed once each
        listings = {where: self.inventory.listing(*where) for where in wheres}
        for (bucket, prefix), listing in listings.items():
            result.listed[f"s3://{bucket}/{prefix}"] = len(listing)

        # Which objects each file must be compared with: only objects of its size; and
        # among them, once per size (files of one size can be thousands), the multipart ones.
        related: dict[str, list[S3Object]] = {}
        multipart: dict[tuple[str, str, int], list[S3Object]] = {}
        for item in items:
            same_size = listings[(item.bucket, item.prefix)].by_size.get(item.size, [])
            if same_size:
                related[item.path] = same_size
                group = (item.bucket, item.prefix, item.size)
                if group not in multipart:
                    multipart[group] = [o for o in same_size if o.is_multipart]
        # Multipart objects: their metadata MD5 first (one HEAD each), the few that matter.
        for objects in multipart.values():
            for obj in objects:
                self.inventory.head(obj)
        tasks = self._hash(items, multipart, known_md5 or {})
        if self.kms_expected:
            for item in items:
                task = tasks.get(item.path)
                md5 = task.md5 if task is not None else None
                for obj in related.get(item.path, []):
                    if md5 and not obj.is_multipart and obj.etag != md5:
                        self.inventory.head(obj)

        # Single-part ETags are MD5s: index them, so a file is compared with the objects
        # that may hold its content, not with every object of its size.
        by_etag = {where: _single_part_by_etag(listing) for where, listing in listings.items()}
        for item in items:
            task = tasks.get(item.path)
            if task is not None and task.error:
                result.issues.append(ScanIssue(item.path, task.error))
            where = (item.bucket, item.prefix)
            multiparts = multipart.get((item.bucket, item.prefix, item.size), [])
            result.findings.append(
                self._classify(item, listings[where], by_etag[where], related, multiparts, task)
            )
        result.requests = self.inventory.requests
        return result

    # ------------------------------------------------------------------ hashing

    def _hash(
        self,
        items: Sequence[CheckItem],
        multipart: dict[tuple[str, str, int], list[S3Object]],
        known_md5: Mapping[str, str],
    ) -> dict[str, HashTask]:
        """A hash task for each file with objects of its size (`multipart`'s groups)."""
        tasks: dict[str, HashTask] = {}
        for item in items:
            objects = multipart.get((item.bucket, item.prefix, item.size))
            if objects is None:
                continue
            parts: list[int] = []
            for obj in objects:
                head = self.inventory.known_head(obj)
                if head is None or head.md5 is None:
                    parts.extend(self._part_guesses(obj))
            task = HashTask(
                item.path, item.size, item.mtime_ns, item.inode,
                md5=known_md5.get(item.path), part_sizes=tuple(dict.fromkeys(parts)),
            )  # fmt: skip
            tasks[item.path] = task
        todo = list(tasks.values())
        self.hasher.fill_from_cache(todo)
        self.hasher.full(todo, "hashing files that S3 may hold")
        return tasks

    def _part_guesses(self, obj: S3Object) -> list[int]:
        """Part sizes that split `obj` into as many parts as its ETag says."""
        count = obj.part_count
        if not count:
            return []
        fits = [
            p
            for p in map(_grown, self.part_sizes, [obj.size] * len(self.part_sizes))
            if math.ceil(obj.size / p) == count
        ]
        if count > 1:  # the smallest whole MiB that gives `count` parts (tools that auto-size)
            smallest = math.ceil(obj.size / count / MiB) * MiB
            if math.ceil(obj.size / smallest) == count:
                fits.append(smallest)
        return list(dict.fromkeys(fits))[:MAX_PART_CANDIDATES]

    # ------------------------------------------------------------------ classifying

    def _classify(
        self,
        item: CheckItem,
        listing: PrefixListing,
        by_etag: dict[str, list[S3Object]],
        related: dict[str, list[S3Object]],
        multiparts: list[S3Object],
        task: HashTask | None,
    ) -> S3Finding:
        md5 = task.md5 if task is not None and task.error is None else None
        at_key = listing.by_key.get(item.key)
        same_size = related.get(item.path, [])
        n_others = len(same_size) - (at_key is not None and at_key.size == item.size)
        if md5 is not None and not self.kms_expected:
            # Same content elsewhere: a single-part object with this MD5 as its ETag, or a
            # multipart one (compared through its metadata or a recomputed ETag).
            candidates = [o for o in by_etag.get(md5, ()) if o.size == item.size]
            candidates += multiparts
        else:  # each one compared (unhashed: undecidable; SSE-KMS: its md5 metadata)
            candidates = [o for o in same_size if o.key != item.key]
        elsewhere = [o for o in candidates if o.key != item.key and self._compare(task, o).same]
        other_keys = tuple(sorted(o.key for o in elsewhere))

        def finding(s3_class: S3Class, verdict: _Verdict, obj: S3Object | None) -> S3Finding:
            return S3Finding(
                path=item.path, size=item.size, md5=md5, bucket=item.bucket, key=item.key,
                s3_class=s3_class, how=verdict.how, detail=verdict.detail,
                s3_size=obj.size if obj else None, s3_etag=obj.etag if obj else None,
                s3_last_modified=obj.last_modified if obj else None,
                other_keys=other_keys, scope=item.scope,
            )  # fmt: skip

        if at_key is not None:
            if at_key.size != item.size:
                detail = f"sizes differ: {item.size} bytes here, {at_key.size} in S3"
                return finding(S3Class.CONFLICT, _Verdict(False, Comparison.SIZE, detail), at_key)
            verdict = self._compare(task, at_key, confirm=True)
            if verdict.same is None:
                return finding(S3Class.UNDECIDED, verdict, at_key)
            s3_class = S3Class.ALREADY_UPLOADED if verdict.same else S3Class.CONFLICT
            return finding(s3_class, verdict, at_key)
        if elsewhere:
            verdict = self._compare(task, elsewhere[0])
            detail = f"same content as {elsewhere[0].key} ({verdict.detail})"
            return finding(
                S3Class.DUPLICATE_ELSEWHERE, _Verdict(True, verdict.how, detail), elsewhere[0]
            )
        if n_others:
            detail = f"no object at this key; {n_others} of the same size hold other content"
            other = next(o for o in same_size if o.key != item.key)
            how = Comparison.UNDECIDABLE if md5 is None else self._compare(task, other).how
            return finding(S3Class.NEW, _Verdict(False, how, detail), None)
        detail = "no object at this key and none of the same size under the prefix"
        return finding(S3Class.NEW, _Verdict(False, Comparison.NOTHING_TO_COMPARE, detail), None)

    def _compare(self, task: HashTask | None, obj: S3Object, *, confirm: bool = False) -> _Verdict:
        """Same content? `confirm`: HEAD a single-part mismatch to rule out SSE-KMS."""
        if task is None or task.md5 is None:
            reason = task.error if task is not None and task.error else "not hashed"
            return _Verdict(None, Comparison.UNDECIDABLE, f"the local file {reason}")
        if not obj.is_multipart:
            if obj.etag == task.md5:
                return _Verdict(True, Comparison.ETAG_MD5, "the ETag equals the local MD5")
            head = self.inventory.head(obj) if confirm else self.inventory.known_head(obj)
            if head is None or not head.kms:
                return _Verdict(False, Comparison.ETAG_MD5, "the ETag differs from the local MD5")
            if head.md5 is not None:
                return _md5_verdict(task.md5, head.md5, "SSE-KMS object: ")
            return _Verdict(
                None,
                Comparison.UNDECIDABLE,
                "SSE-KMS object without md5 metadata: its ETag is not an MD5 of the content",
            )
        head = self.inventory.known_head(obj) or self.inventory.head(obj)
        if head.md5 is not None:
            return _md5_verdict(task.md5, head.md5, "multipart object: ")
        for part, etag in (task.etags or {}).items():
            if etag == obj.etag:
                return _Verdict(
                    True,
                    Comparison.MULTIPART_ETAG,
                    f"multipart ETag recomputed with {_size(part)} parts matches",
                )
        tried = ", ".join(_size(p) for p in (task.etags or {})) or "none fit"
        kms = "SSE-KMS " if head.kms else ""
        return _Verdict(
            None,
            Comparison.UNDECIDABLE,
            f"{kms}multipart object without md5 metadata; its ETag matched no part size "
            f"tried ({tried})",
        )


def _grown(part: int, size: int) -> int:
    """`part`, doubled until `size` fits in 10,000 parts (what uploaders do)."""
    while math.ceil(size / part) > MAX_PARTS:
        part *= 2
    return part


def _md5_verdict(local: str, remote: str, prefix: str) -> _Verdict:
    same = local == remote
    word = "equals" if same else "differs from"
    return _Verdict(same, Comparison.METADATA_MD5, f"{prefix}md5 metadata {word} the local MD5")


def _size(part: int) -> str:
    return f"{part // MiB} MiB" if part % MiB == 0 else f"{part} B"


def _single_part_by_etag(listing: PrefixListing) -> dict[str, list[S3Object]]:
    index: dict[str, list[S3Object]] = {}
    for obj in listing.by_key.values():
        if not obj.is_multipart:
            index.setdefault(obj.etag, []).append(obj)
    return index
