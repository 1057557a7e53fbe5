"""Interpreters a test only waits for, started when collection ends.

An import probe (a fresh interpreter that runs one command and reports what it
imported) spends its time in another process. Started when its test's turn comes,
the whole suite waits for it; started when collection ends, it runs on the other
core while the suite goes on. A test asks for that with::

    @starts_early(build)          # build(folder) -> the commands, argv lists
    def test_probe(early: list[subprocess.CompletedProcess[str]]) -> None: ...

`build` prepares what the commands need inside `folder`, a fresh directory, and
returns them; they run one after the other in `folder`, with the same isolated
environment every test gets (`tests.conftest.isolated_environ`: no developer
settings or credentials, configuration under `folder`). The `early` fixture gives
their results in order. A test run on its own gets the same commands in the same
environment, only started by the fixture instead.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

Build = Callable[[Path], list[list[str]]]
Results = list[subprocess.CompletedProcess[str]]
F = TypeVar("F", bound=Callable[..., Any])

_ATTRIBUTE = "_early_build"
_TIMEOUT = 120.0


def python(code: str, *, times: int = 1) -> list[list[str]]:
    """`code` run by a fresh interpreter of this environment, `times` over."""
    return [[sys.executable, "-c", code]] * times


def cli_probe(argv: list[str], report: str) -> str:
    """Code that runs ``hma-ingest ARGV`` in-process, then prints its exit status and
    `report` (an expression, typically over ``sys.modules``)."""
    return (
        "import io, sys\n"
        "from hma_gui.cli.main import main\n"
        f"status = main({argv!r}, io.StringIO(), io.StringIO())\n"
        f"print(status, {report})\n"
    )


def outputs(early: Results) -> list[str]:
    """What each early command printed; one that failed fails the test with its stderr."""
    for done in early:
        assert done.returncode == 0, done.stderr
    return [done.stdout for done in early]


def starts_early(build: Build) -> Callable[[F], F]:
    def mark(test: F) -> F:
        setattr(test, _ATTRIBUTE, build)
        return test

    return mark


class _Run:
    """The commands of one test, run in order by whichever thread takes it first."""

    def __init__(self, build: Build, folder: Path, environ: Mapping[str, str]) -> None:
        self._folder = folder
        self._environ = dict(environ)
        self._taken = threading.Lock()
        self._done = threading.Event()
        self._results: Results = []
        self._error: BaseException | None = None
        self._commands: list[list[str]] = []
        try:
            self._commands = build(folder)
        except Exception as exc:  # the test fails with it, not the whole session
            self._error = exc

    def run(self) -> None:
        """Run the commands unless another thread has taken them."""
        if not self._taken.acquire(blocking=False):
            return
        try:
            for argv in [] if self._error else self._commands:
                done = subprocess.run(
                    argv, capture_output=True, text=True, cwd=self._folder,
                    env=self._environ, timeout=_TIMEOUT, check=False,
                )  # fmt: skip
                self._results.append(done)
        except BaseException as exc:  # given to the test, which raises it
            self._error = exc
        finally:
            self._done.set()

    def results(self) -> Results:
        self.run()  # not started yet: the test's own thread runs them now
        if not self._done.wait(_TIMEOUT * max(1, len(self._commands))):
            raise TimeoutError(f"early commands still running: {self._commands}")
        if self._error is not None:
            raise self._error
        return self._results


class EarlyRuns:
    """The early commands of one session, by test node id; their folders go at the end.

    One thread runs them one at a time, in collection order: one child beside the
    suite's own process keeps both cores busy without slowing the suite down.
    """

    def __init__(self, environ: Callable[[Path], Mapping[str, str]]) -> None:
        self._environ = environ
        self._root = Path(tempfile.mkdtemp(prefix="hma-early-"))
        self._runs: dict[str, _Run] = {}
        self._thread: threading.Thread | None = None

    def start(self, items: Iterable[Any]) -> None:
        for item in items:
            build = getattr(getattr(item, "function", None), _ATTRIBUTE, None)
            if build is not None and item.nodeid not in self._runs:
                self._runs[item.nodeid] = self._new_run(build)
        pending = list(self._runs.values())
        if pending:
            self._thread = threading.Thread(
                target=_run_all, args=(pending,), name="early-probes", daemon=True
            )
            self._thread.start()

    def results(self, nodeid: str, build: Build) -> Results:
        run = self._runs.pop(nodeid, None) or self._new_run(build)
        return run.results()

    def _new_run(self, build: Build) -> _Run:
        folder = Path(tempfile.mkdtemp(dir=self._root))
        return _Run(build, folder, self._environ(folder))

    def close(self) -> None:
        if self._thread is not None:  # tests deselected after collection, or never reached
            self._thread.join(_TIMEOUT * max(1, len(self._runs)))
        shutil.rmtree(self._root, ignore_errors=True)


def _run_all(runs: list[_Run]) -> None:
    for run in runs:
        run.run()


def build_of(function: Callable[..., Any]) -> Build:
    build = getattr(function, _ATTRIBUTE, None)
    if build is None:
        raise TypeError(f"{function.__name__} takes `early` but is not marked @starts_early")
    return build  # type: ignore[no-any-return]
