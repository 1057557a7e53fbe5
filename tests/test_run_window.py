"""The run in front of the user (`RunWindow`): what a progress bar counts, without Qt."""

from __future__ import annotations

from hma_gui.core.jobs.records import Counters
from hma_gui.core.jobs.run_window import RunWindow

MIB = 1024 * 1024


def store(done: int, queued: int, *, done_mib: int, queued_mib: int, failed: int = 0) -> Counters:
    return Counters(
        queued=queued, done=done, failed=failed,
        bytes_total=(done_mib + queued_mib) * MIB, bytes_done=done_mib * MIB,
    )  # fmt: skip


def test_cleared_or_retried_jobs_never_make_a_negative_run() -> None:
    run = RunWindow()
    run.observe(store(50, 5, done_mib=50, queued_mib=5, failed=3))
    retried = run.observe(
        Counters(queued=8, done=50, bytes_total=58 * MIB, bytes_done=50 * MIB)
    )  # the 3 failed are queued again
    assert (retried.files_done, retried.files_total) == (0, 8)
    cleared = run.observe(Counters(queued=8, bytes_total=8 * MIB))  # "Clear finished"
    assert (cleared.files_done, cleared.files_total, cleared.bytes_total) == (0, 8, 8 * MIB)


def test_files_to_decide_stay_in_the_run_and_files_without_a_scope_do_not() -> None:
    run = RunWindow()
    run.observe(Counters(queued=3, bytes_total=3 * MIB))
    held = run.observe(
        Counters(done=2, waiting=1, needs_scope=4, bytes_total=3 * MIB, bytes_done=2 * MIB)
    )  # one file waits for a duplicate decision; four have no scope (no target, no bytes)
    assert (held.files_done, held.files_total, held.bytes_total) == (2, 3, 3 * MIB)
    assert held.fraction < 1 and held.percent < 100
