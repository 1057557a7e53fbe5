"""``--on-duplicate ask`` on a terminal: one question per conflict, answers for all.

Implements the core's `DecisionCallback`, as the desktop app's review dialog
does. Only conflicts and undecided files are asked about: copies that are
already in S3 follow the ``skip`` preselection (the review shows them).
"""

from __future__ import annotations

from typing import TextIO

from hma_gui.core.duplicates.decisions import Decision, DuplicateReview, keep_both_key
from hma_gui.core.duplicates.s3_check import S3Class

_ANSWERS = {"s": Decision.SKIP, "o": Decision.OVERWRITE, "k": Decision.KEEP_BOTH}


class TerminalDecider:
    """Asks on `output`, reads answers from `answers` (a terminal). EOF: skip the rest."""

    def __init__(self, answers: TextIO, output: TextIO) -> None:
        self._in = answers
        self._out = output

    def review(self, review: DuplicateReview) -> bool:
        asked = [
            review.findings[p]
            for p in review.paths
            if p in review.findings
            and review.findings[p].s3_class in (S3Class.CONFLICT, S3Class.UNDECIDED)
        ]
        for_all: Decision | None = None
        for number, finding in enumerate(asked, 1):
            if for_all is not None:
                review.set_file(finding.path, for_all)
                continue
            what = (
                "holds different content"
                if finding.s3_class is S3Class.CONFLICT
                else "exists and could not be compared"
            )
            new_name = keep_both_key(finding.key, {finding.key}).rsplit("/", 1)[-1]
            self._out.write(
                f"\n[{number}/{len(asked)}] {finding.path}\n"
                f"  {finding.uri} {what}: {finding.detail}\n"
                f"  [s]kip, [o]verwrite, [k]eep both (upload as {new_name}); "
                "a capital letter answers all remaining; [q]uit cancels the upload [s]: "
            )
            self._out.flush()
            answer = self._read()
            if answer is None:  # end of input: the rest stays skipped
                self._out.write("\n")
                return True
            if answer == "q":
                return False
            decision = _ANSWERS.get(answer.lower(), Decision.SKIP)
            if answer.isupper():
                for_all = decision
            review.set_file(finding.path, decision)
        return True

    def _read(self) -> str | None:
        while True:
            line = self._in.readline()
            if not line:
                return None
            answer = line.strip()[:1]
            if answer == "" or answer.lower() in _ANSWERS or answer == "q":
                return answer or "s"
            self._out.write("  please answer s, o, k (S, O, K for all) or q: ")
            self._out.flush()
