"""Decisions about duplicates before an upload: skip, overwrite, or keep both.

A `DuplicateReview` holds the planned jobs of one upload with what the checks
found (local duplicate groups among them, the S3 class of each), and one
`Decision` per file. Decisions are set per file, per local group, per S3
class or for all, preselected from a policy (`preselect`), and turned into
jobs by `apply` (jobs not yet enqueued; `stored_decisions.write_decided`
writes its outcome onto jobs in the store):
a skipped file becomes a ``skipped`` job whose error says why; a "keep both"
file is retargeted to a free key such as ``name__2.csv``.

What each policy preselects (the CLI's default is ``skip``):

=====================  ==========  ==============  ==================
S3 class               skip        overwrite       keep-both
=====================  ==========  ==============  ==================
new                    upload      upload          upload
already uploaded       skip        overwrite       skip (identical)
conflict, undecided    skip [1]    overwrite       upload as name__2
duplicate elsewhere    skip        upload          upload
extra local copy [2]   skip        upload          upload
=====================  ==========  ==============  ==================

[1] left un-uploaded and reported (`unresolved`): the CLI exits with 1.
[2] a second file with the same content in the same upload: the group's
    reference is uploaded (the file a person marked, else the original: no
    "(1)"/"copy" marker, shortest name, oldest; see `original`), the others
    are copies of it.

``ask`` preselects like ``skip`` and then hands the review to a
`DecisionCallback` (the GUI's review dialog, the CLI's terminal prompt).
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from hma_gui.core.duplicates.local import DuplicateGroup, LocalScanResult
from hma_gui.core.duplicates.original import originals_first
from hma_gui.core.duplicates.s3_check import S3CheckResult, S3Class, S3Finding
from hma_gui.core.files.key_convention import validate_key
from hma_gui.core.jobs.records import EXPECT_ABSENT
from hma_gui.core.jobs.store import Decision, Job, JobState, NewJob

__all__ = ["POLICIES", "Decision", "DecisionCallback", "DuplicateReview", "FileDecision", "decide"]

POLICIES = ("skip", "overwrite", "keep-both", "ask")


class DecisionCallback(Protocol):
    """Lets a person change the preselected decisions (review dialog, terminal prompt)."""

    def review(self, review: DuplicateReview) -> bool:
        """Adjust `review`'s decisions in place; return False to cancel the upload."""
        ...


@dataclass(frozen=True, slots=True)
class FileDecision:
    """What happens to one planned file."""

    path: str
    decision: Decision
    bucket: str | None
    key: str | None  # where it goes (keep both: the new key); None when skipped
    reason: str  # why (recorded as the skipped job's error)
    # The write's precondition: EXPECT_ABSENT, the ETag an overwrite replaces, or None.
    expected: str | None = None


_REPLACES = (S3Class.ALREADY_UPLOADED, S3Class.CONFLICT, S3Class.UNDECIDED)
_PRESELECT: dict[str, dict[S3Class, Decision]] = {
    "skip": {
        S3Class.NEW: Decision.UPLOAD,
        S3Class.ALREADY_UPLOADED: Decision.SKIP,
        S3Class.CONFLICT: Decision.SKIP,
        S3Class.UNDECIDED: Decision.SKIP,
        S3Class.DUPLICATE_ELSEWHERE: Decision.SKIP,
    },
    "overwrite": {
        S3Class.NEW: Decision.UPLOAD,
        S3Class.ALREADY_UPLOADED: Decision.OVERWRITE,
        S3Class.CONFLICT: Decision.OVERWRITE,
        S3Class.UNDECIDED: Decision.OVERWRITE,
        S3Class.DUPLICATE_ELSEWHERE: Decision.UPLOAD,
    },
    "keep-both": {
        S3Class.NEW: Decision.UPLOAD,
        S3Class.ALREADY_UPLOADED: Decision.SKIP,
        S3Class.CONFLICT: Decision.KEEP_BOTH,
        S3Class.UNDECIDED: Decision.KEEP_BOTH,
        S3Class.DUPLICATE_ELSEWHERE: Decision.UPLOAD,
    },
}


class DuplicateReview:
    """The findings of one upload and a decision per planned file."""

    def __init__(
        self,
        jobs: Sequence[NewJob | Job],
        *,
        local: LocalScanResult | None = None,
        s3: S3CheckResult | None = None,
        taken_keys: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.jobs = {j.source: j for j in jobs if j.bucket and j.key}
        self.local = local or LocalScanResult()
        self.s3 = s3 or S3CheckResult()
        self.findings: dict[str, S3Finding] = {
            f.path: f for f in self.s3.findings if f.path in self.jobs
        }
        self.groups: list[DuplicateGroup] = [
            g for g in self.local.groups if sum(p in self.jobs for p in g.paths) > 1
        ]
        self._group_of = {p: g for g in self.groups for p in g.paths if p in self.jobs}
        self._taken: dict[str, set[str]] = {b: set(k) for b, k in (taken_keys or {}).items()}
        self.decisions: dict[str, Decision] = dict.fromkeys(self.jobs, Decision.UPLOAD)
        self.copy_of: dict[str, str] = {}  # extra local copy -> the file uploaded instead
        self.references: dict[tuple[str, ...], str] = {}  # group's paths -> file a person marked
        self._table = _PRESELECT["skip"]
        self.applied: list[FileDecision] | None = None  # the outcome `apply` applied

    # ------------------------------------------------------------------ what to show

    @property
    def paths(self) -> list[str]:
        """Files with something to decide: an S3 finding other than new, or a local copy."""
        return [
            p
            for p in self.jobs
            if p in self._group_of
            or (p in self.findings and self.findings[p].s3_class is not S3Class.NEW)
        ]

    @property
    def needs_review(self) -> bool:
        return bool(self.paths)

    def finding(self, path: str) -> S3Finding | None:
        return self.findings.get(path)

    def group_of(self, path: str) -> DuplicateGroup | None:
        return self._group_of.get(path)

    def unresolved(self) -> list[S3Finding]:
        """Conflicts and undecided files left un-uploaded (the CLI exits with 1 for them)."""
        return [
            f
            for p, f in self.findings.items()
            if f.s3_class in (S3Class.CONFLICT, S3Class.UNDECIDED)
            and self.decisions[p] is Decision.SKIP
        ]

    # ------------------------------------------------------------------ deciding

    def preselect(self, policy: str) -> None:
        """Decide every file by `policy` (``ask`` preselects like ``skip``)."""
        self._table = _PRESELECT["skip" if policy == "ask" else policy]
        self.copy_of.clear()
        for path in self.jobs:
            self.decisions[path] = self._by_s3(path)
        if policy in ("skip", "ask"):
            for group in self.groups:
                self._skip_extra_copies(group)

    def set_file(self, path: str, decision: Decision) -> None:
        self.decisions[path] = self._normalise(path, decision)
        self.copy_of.pop(path, None)

    def set_paths(self, paths: Iterable[str], decision: Decision) -> None:
        for path in paths:
            if path in self.jobs:
                self.set_file(path, decision)

    def set_group(self, group: DuplicateGroup, decision: Decision) -> None:
        """The same decision for every planned file of a local group."""
        self.set_paths(group.paths, decision)

    def reference_of(self, group: DuplicateGroup) -> str | None:
        """The planned file of `group` that "keep one" uploads: marked, else the original."""
        preferred = self._preferred(group)
        return preferred[0] if preferred else None

    def set_reference(self, group: DuplicateGroup, path: str) -> None:
        """Mark `path` as the file of `group` to keep (dupeGuru's reference), and keep it."""
        if path not in group.paths or path not in self.jobs:
            raise ValueError(f"{path} is not a planned file of this group")
        self.references[group.paths] = path
        self.keep_one(group, path)

    def keep_one(self, group: DuplicateGroup, keep: str | None = None) -> None:
        """Upload `keep` (default: the group's reference), skip the other copies."""
        planned = self._preferred(group)
        if not planned:
            return
        keeper = keep if keep in planned else planned[0]
        if self.copy_of.pop(keeper, None) is not None:  # it was skipped as a copy: not now
            self.decisions[keeper] = self._by_s3(keeper)
        for path in planned:
            if path != keeper:
                self.decisions[path] = Decision.SKIP
                self.copy_of[path] = keeper

    def set_class(self, s3_class: S3Class, decision: Decision) -> None:
        """One decision for every file of an S3 class ("all conflicts: keep both")."""
        self.set_paths((p for p, f in self.findings.items() if f.s3_class is s3_class), decision)

    def set_all(self, decision: Decision) -> None:
        self.set_paths(self.paths, decision)

    def _by_s3(self, path: str) -> Decision:
        """The preselected decision from the S3 class alone."""
        finding = self.findings.get(path)
        return self._table[finding.s3_class] if finding else Decision.UPLOAD

    def _preferred(self, group: DuplicateGroup) -> list[str]:
        """The planned files of `group`: the marked reference first, then originals first."""
        ranked = [f.path for f in originals_first(group.files) if f.path in self.jobs]
        marked = self.references.get(group.paths)
        if marked is not None and marked in ranked:
            ranked.remove(marked)
            ranked.insert(0, marked)
        return ranked

    def _skip_extra_copies(self, group: DuplicateGroup) -> None:
        uploading = [p for p in self._preferred(group) if self.decisions[p] is not Decision.SKIP]
        for path in uploading[1:]:
            self.decisions[path] = Decision.SKIP
            self.copy_of[path] = uploading[0]

    def _normalise(self, path: str, decision: Decision) -> Decision:
        """UPLOAD onto an existing object is an overwrite; nothing to overwrite is an upload."""
        finding = self.findings.get(path)
        exists = finding is not None and finding.s3_class in _REPLACES
        if exists and decision is Decision.UPLOAD:
            return Decision.OVERWRITE
        if not exists and decision in (Decision.OVERWRITE, Decision.KEEP_BOTH):
            return Decision.UPLOAD
        return decision

    # ------------------------------------------------------------------ outcome

    def resolve(self) -> list[FileDecision]:
        """The outcome per planned file; "keep both" keys avoid S3's keys and each other."""
        taken = {b: set(keys) for b, keys in self._taken.items()}
        for job in self.jobs.values():
            taken.setdefault(str(job.bucket), set()).add(str(job.key))
        outcome: list[FileDecision] = []
        for path, job in self.jobs.items():
            bucket, key = str(job.bucket), str(job.key)
            decision = self._normalise(path, self.decisions[path])
            if decision is Decision.SKIP:
                outcome.append(FileDecision(path, decision, bucket, None, self._skip_reason(path)))
            elif decision is Decision.KEEP_BOTH:
                new_key = keep_both_key(key, taken[bucket])
                taken[bucket].add(new_key)
                reason = f"kept both: s3://{bucket}/{key} exists, uploaded as {new_key}"
                outcome.append(FileDecision(path, decision, bucket, new_key, reason, EXPECT_ABSENT))
            elif decision is Decision.OVERWRITE:
                reason = f"overwrites s3://{bucket}/{key}"
                outcome.append(
                    FileDecision(path, decision, bucket, key, reason, self._seen_etag(path))
                )
            else:
                outcome.append(FileDecision(path, decision, bucket, key, "", self._free(path)))
        return outcome

    def _seen_etag(self, path: str) -> str | None:
        """The ETag the check saw at the file's key: an overwrite replaces only that."""
        finding = self.findings.get(path)
        return finding.s3_etag if finding is not None and finding.s3_class in _REPLACES else None

    def _free(self, path: str) -> str | None:
        """EXPECT_ABSENT when the check saw the key free; None when S3 was not checked."""
        return EXPECT_ABSENT if path in self.findings else None

    def _skip_reason(self, path: str) -> str:
        if path in self.copy_of:
            return f"same content as {self.copy_of[path]}, which is uploaded in this run"
        finding = self.findings.get(path)
        if finding is None or finding.s3_class is S3Class.NEW:
            return "skipped by choice"
        where = finding.uri
        if finding.s3_class is S3Class.ALREADY_UPLOADED:
            return f"already in S3: {where} has the same content ({finding.detail})"
        if finding.s3_class is S3Class.DUPLICATE_ELSEWHERE:
            return f"same content already in S3 at s3://{finding.bucket}/{finding.other_keys[0]}"
        if finding.s3_class is S3Class.CONFLICT:
            return (
                f"not uploaded: {where} holds different content ({finding.detail}); "
                "choose overwrite or keep both"
            )
        return f"not uploaded: {where} exists and could not be compared ({finding.detail})"

    def apply(self, jobs: Sequence[NewJob]) -> list[NewJob]:
        """`jobs` with the decisions in: skipped, retargeted, marked (not yet enqueued)."""
        self.applied = self.resolve()
        outcome = {d.path: d for d in self.applied}
        md5s = {f.path: f.md5 for f in self.findings.values() if f.md5}
        result: list[NewJob] = []
        for job in jobs:
            decided = outcome.get(job.source)
            if decided is None or job.state is not JobState.QUEUED:
                result.append(job)
                continue
            md5 = job.md5 or md5s.get(job.source)
            if decided.decision is Decision.SKIP:
                result.append(
                    dataclasses.replace(
                        job, state=JobState.SKIPPED, error=decided.reason,
                        decision=decided.decision, md5=md5,
                    )
                )  # fmt: skip
            elif decided.reason:  # overwrite or keep both
                result.append(
                    dataclasses.replace(
                        job, key=decided.key, decision=decided.decision, md5=md5,
                        expected_etag=decided.expected,
                    )
                )  # fmt: skip
            else:
                result.append(dataclasses.replace(job, md5=md5, expected_etag=decided.expected))
        return result


def decide(review: DuplicateReview, policy: str, ask: DecisionCallback | None = None) -> bool:
    """Preselect by `policy`; with ``ask``, let `ask` change them. False: the user cancelled."""
    if policy not in POLICIES:
        raise ValueError(f"unknown duplicate policy {policy!r} (known: {', '.join(POLICIES)})")
    review.preselect(policy)
    if policy == "ask" and ask is not None and review.needs_review:
        return ask.review(review)
    return True


def keep_both_key(key: str, taken: set[str]) -> str:
    """``folder/name__2.ext`` (or ``__3``…): the first such key not in `taken`."""
    folder, name = posixpath.split(key)
    stem, dot, ext = name.rpartition(".")
    if not stem or not dot:  # no extension, or a dotfile such as ".env"
        stem, dot, ext = name, "", ""
    number = 2
    while True:
        candidate = posixpath.join(folder, f"{stem}__{number}{dot}{ext}")
        if candidate not in taken:
            return validate_key(candidate)
        number += 1
