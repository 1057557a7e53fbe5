"""Foreign-key checks: "must exist in plans (in the database or in this run)".

The pipeline asks in batches: `missing(table, column, values)` returns the
values that exist nowhere. Answers come from, in order: keys this run has
loaded (dry runs, where nothing reaches the database), keys already confirmed
or refuted (bounded caches), and one ``IN (...)`` query per batch for the
rest. A parent file that commits makes the table's "absent" cache stale, so it
is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Lookup = Callable[[str, str, Iterable[str]], set[str]]

CACHE_LIMIT = 500_000


class ParentKeys:
    def __init__(self, lookup: Lookup, *, cache_limit: int = CACHE_LIMIT) -> None:
        self._lookup = lookup
        self._limit = cache_limit
        self._known: dict[str, set[str]] = {}
        self._absent: dict[str, set[str]] = {}
        self._run: dict[str, set[str]] = {}

    def missing(self, table: str, column: str, values: Iterable[str]) -> set[str]:
        known = self._known.setdefault(table, set())
        absent = self._absent.setdefault(table, set())
        run = self._run.get(table, set())
        unknown = {v for v in values if v not in known and v not in run}
        if not unknown:
            return set()
        missing = unknown & absent
        ask = unknown - absent
        if ask:
            found = self._lookup(table, column, ask)
            missing |= ask - found
            self._remember(known, found)
            self._remember(absent, ask - found)
        return missing

    def add_run_keys(self, table: str, keys: Iterable[object]) -> None:
        """Keys of `table` that this (dry) run would have loaded."""
        self._run.setdefault(table, set()).update(k for k in keys if isinstance(k, str))

    def table_changed(self, table: str) -> None:
        self._absent.pop(table, None)

    def _remember(self, cache: set[str], values: set[str]) -> None:
        if len(cache) + len(values) > self._limit:
            cache.clear()
        cache.update(values)
