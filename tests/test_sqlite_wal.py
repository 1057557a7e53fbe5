"""Two processes that open one new SQLite file at the same moment both get it, in WAL mode."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

_OPEN_TOGETHER = """
import sqlite3, sys, time
from pathlib import Path
from hma_gui.core.sqlite_wal import connect_wal
folder, start, count = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
failed = []
for n in range(count):
    while time.time() < start + n * 0.02:
        pass
    try:
        conn = connect_wal(folder / f"{n}.db", timeout=30)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        conn.execute("CREATE TABLE IF NOT EXISTS t(x)")
        conn.close()
        assert mode == "wal", mode
    except sqlite3.OperationalError as exc:
        failed.append(str(exc))
print(len(failed), failed[:1])
"""


def test_two_processes_opening_new_files_together_never_meet_a_locked_database(
    tmp_path: Path,
) -> None:
    # before the retry, "database is locked" came back at once in 40-50 % of these opens
    start = time.time() + 1.0
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_TOGETHER, str(tmp_path), str(start), "60"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out.split()[0] == "0", out
