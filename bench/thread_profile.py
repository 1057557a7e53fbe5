"""cProfile of every thread with thread CPU time, around ``hma_gui.cli.main`` (issue 16).

usage: .venv/bin/python bench/thread_profile.py OUT.pstats upload --scope mba \
    bench/out/upload-data/small
(with the environment of a `bench/upload_cpu_ab.sh` run). The profiler roughly doubles
Python's cost: read the shares, not the times (``python -m pstats OUT.pstats``).
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import threading
import time

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()
_run = threading.Thread.run


def _profiled_run(self: threading.Thread) -> None:
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(profile)
    profile.enable()
    try:
        _run(self)
    finally:
        profile.disable()


def main() -> int:
    out = sys.argv[1]
    threading.Thread.run = _profiled_run  # type: ignore[method-assign]
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    from hma_gui.cli.main import main as cli_main

    try:
        status = cli_main(sys.argv[2:])
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    main_profile.disable()
    stats = pstats.Stats(main_profile)
    for profile in _profiles:
        stats.add(profile)
    stats.dump_stats(out)
    return status


if __name__ == "__main__":
    sys.exit(main())
