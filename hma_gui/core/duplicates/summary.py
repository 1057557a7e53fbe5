"""What a duplicate check found, in numbers and sentences (dialog, tab, counters).

`ReviewSummary` counts one `DuplicateReview`: local groups, extra copies,
wasted bytes, files per S3 class, and what the decisions do. `Findings` is one
entry of the window's recent findings (a drop, or the watched folders), with
its state: waiting for a decision, or applied.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview
from hma_gui.core.duplicates.s3_check import S3Class
from hma_gui.core.rate_meter import format_bytes

_ids = itertools.count(1)


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


@dataclass(frozen=True)
class ReviewSummary:
    groups: int
    extra_copies: int
    wasted_bytes: int
    classes: dict[S3Class, int]
    decisions: dict[Decision, int]
    copies_skipped: int
    unresolved: int  # conflicts and undecided files left on skip
    files: int  # files with something to decide

    @property
    def conflicts(self) -> int:
        return self.classes.get(S3Class.CONFLICT, 0) + self.classes.get(S3Class.UNDECIDED, 0)

    @property
    def skipped_as_duplicates(self) -> int:
        """Skipped because S3 or the upload already holds the content (not conflicts)."""
        return self.decisions.get(Decision.SKIP, 0) - self.unresolved

    def describe(self) -> str:
        """What was found: "2 groups of local copies (3 extra, 1.2 MiB), 5 already in S3"."""
        parts = []
        if self.groups:
            parts.append(
                f"{_plural(self.groups, 'group')} of local copies "
                f"({self.extra_copies:,} extra, {format_bytes(self.wasted_bytes)})"
            )
        labels = (
            (S3Class.ALREADY_UPLOADED, "already in S3", "already in S3"),
            (S3Class.CONFLICT, "conflict", "conflicts"),
            (S3Class.DUPLICATE_ELSEWHERE, "elsewhere in S3", "elsewhere in S3"),
            (S3Class.UNDECIDED, "undecided", "undecided"),
        )
        for s3_class, one, many in labels:
            count = self.classes.get(s3_class, 0)
            if count:
                parts.append(f"{count:,} {one if count == 1 else many}")
        return ", ".join(parts) if parts else "no duplicates"

    def outcome(self) -> str:
        """What the decisions do: "Upload 3 (1 overwrites), skip 9; 2 conflicts not uploaded"."""
        going = self.files - self.decisions.get(Decision.SKIP, 0)
        extra = []
        if self.decisions.get(Decision.OVERWRITE):
            extra.append(f"{self.decisions[Decision.OVERWRITE]:,} overwriting")
        if self.decisions.get(Decision.KEEP_BOTH):
            extra.append(f"{self.decisions[Decision.KEEP_BOTH]:,} under a new name")
        text = f"Upload {going:,}" + (f" ({', '.join(extra)})" if extra else "")
        text += f", skip {self.decisions.get(Decision.SKIP, 0):,} of the {self.files:,} listed"
        if self.unresolved:
            text += f"; {_plural(self.unresolved, 'conflict')} not uploaded"
        return text + "."


def summarize_review(review: DuplicateReview, paths: list[str] | None = None) -> ReviewSummary:
    paths = review.paths if paths is None else paths
    decisions = Counter(review.decisions[p] for p in paths)
    classes: Counter[S3Class] = Counter(
        f.s3_class for f in review.findings.values() if f.s3_class is not S3Class.NEW
    )
    return ReviewSummary(
        groups=len(review.groups),
        extra_copies=sum(g.copies - 1 for g in review.groups),
        wasted_bytes=sum(g.wasted_bytes for g in review.groups),
        classes=dict(classes),
        decisions=dict(decisions),
        copies_skipped=sum(1 for p in review.copy_of if review.decisions.get(p) is Decision.SKIP),
        unresolved=len(review.unresolved()),
        files=len(paths),
    )


class FindingsState(Enum):
    WAITING = "waiting"  # the files wait (as waiting jobs) for the review dialog
    APPLIED = "applied"  # decided (by the policy or the dialog)


@dataclass(eq=False)
class Findings:
    """One check's findings as the window keeps them."""

    label: str  # "drop: export", "watched folders"
    review: DuplicateReview
    batch_id: int
    state: FindingsState
    source: str = "drop"  # or "watch"
    at: datetime = field(default_factory=datetime.now)
    id: int = field(default_factory=lambda: next(_ids))
    _summary: ReviewSummary | None = field(default=None, repr=False)
    _paths: list[str] | None = field(default=None, repr=False)

    def paths(self) -> list[str]:
        """`review.paths`, listed once (it does not change with the decisions)."""
        if self._paths is None:
            self._paths = self.review.paths
        return self._paths

    def summary(self) -> ReviewSummary:
        """Counted once (50,000 files: tens of ms), again after `recount`."""
        if self._summary is None:
            self._summary = summarize_review(self.review, self.paths())
        return self._summary

    def recount(self) -> ReviewSummary:
        """The decisions changed: count again."""
        self._summary = None
        return self.summary()

    def title(self) -> str:
        return f"{self.label} · {self.at:%H:%M:%S}"

    @property
    def waiting(self) -> bool:
        return self.state is FindingsState.WAITING
