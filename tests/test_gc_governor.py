"""The window's garbage-collection governor: no full collection while busy, one when idle."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from hma_gui.ui.gc_policy import MAX_DEFERRAL_SECONDS, GcGovernor


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture(autouse=True)
def no_governor_left_behind() -> Iterator[None]:
    """A closed window removes its governor: none of an earlier test may still be installed."""
    assert not [cb for cb in gc.callbacks if isinstance(getattr(cb, "__self__", None), GcGovernor)]
    assert gc.get_freeze_count() == 0
    yield


@pytest.fixture
def governed() -> Iterator[tuple[GcGovernor, list[bool], list[float]]]:
    busy = [True]
    now = [0.0]
    governor = GcGovernor(lambda: busy[0], clock=lambda: now[0])
    gc.collect()
    gc.disable()  # only the tests' own collections: other threads' allocations trigger none
    governor.install()
    try:
        yield governor, busy, now
    finally:
        governor.uninstall()
        gc.enable()


def test_a_full_collection_while_busy_walks_nothing_and_waits_for_idle(governed) -> None:
    governor, busy, _now = governed
    garbage = Cycle()
    ref = weakref.ref(garbage)
    gc.collect(1)  # alive: it moves to the old generation
    del garbage  # now it is cyclic garbage that only a full collection finds
    gc.collect(1)
    assert ref() is not None
    gc.collect()  # a full collection while busy is turned into a freeze
    assert governor.deferred == 1
    assert ref() is not None
    assert governor.tick() is False  # still busy
    busy[0] = False
    assert governor.tick() is True  # idle: the real collection runs
    assert ref() is None
    assert governor.deferred == 0 and governor.full_collections == 1
    assert gc.get_freeze_count() == 0


def test_young_cycles_are_still_collected_while_busy(governed) -> None:
    governor, _busy, _now = governed
    garbage = Cycle()
    ref = weakref.ref(garbage)
    del garbage
    before = governor.deferred
    gc.collect(0)
    assert ref() is None and governor.deferred == before


def test_an_overdue_collection_runs_even_when_busy(governed) -> None:
    governor, _busy, now = governed
    gc.collect()
    assert governor.deferred == 1
    now[0] = MAX_DEFERRAL_SECONDS - 1
    assert governor.tick() is False
    now[0] = MAX_DEFERRAL_SECONDS + 1
    assert governor.tick() is True


def test_nothing_deferred_means_nothing_to_do() -> None:
    # Not installed: no collection (of this process's other threads either) can defer one.
    governor = GcGovernor(lambda: False)
    assert governor.tick() is False and governor.full_collections == 0


def test_uninstall_restores_normal_collection() -> None:
    governor = GcGovernor(lambda: True)
    governor.install()
    governor.uninstall()
    garbage = Cycle()
    ref = weakref.ref(garbage)
    del garbage
    gc.collect()
    assert ref() is None and governor.deferred == 0


def test_a_part_that_says_it_is_busy_holds_the_collection_until_it_is_done(governed) -> None:
    governor, busy, _now = governed
    busy[0] = False  # the poll sees nothing busy …
    governor.set_busy("bucket", True)  # … but the Bucket tab is listing
    gc.collect()
    assert governor.busy and governor.tick() is False
    governor.set_busy("other", True)
    governor.set_busy("bucket", False)
    assert governor.busy and governor.tick() is False  # another part still is
    governor.set_busy("other", False)
    assert not governor.busy and governor.tick() is True
