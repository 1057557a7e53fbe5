"""Render the main window offscreen in its typical states: docs/screenshots/*.png.

Everything is real: a private sandbox S3 endpoint, a demo folder tree, real
uploads. A small throttling proxy in front of the sandbox slows the uploads to
a few MiB/s, so "mid-upload" is a moment that can be caught, and can take the
endpoint down for the failures picture.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/screenshots.py

A state is a function that brings the window there and returns the file name.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"
SAMPLE_CSV = ROOT / "resources" / "sample_data" / "mba" / "csv"
SIZE = (1280, 860)


class ThrottleProxy:
    """TCP forwarder to `upstream` that limits upload bandwidth and can go down."""

    def __init__(self, upstream: tuple[str, int], bytes_per_second: float) -> None:
        self._upstream = upstream
        self.rate = bytes_per_second
        self._lock = threading.Lock()
        self._next_free = time.monotonic()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._down = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def down(self) -> None:
        """Refuse and cut every connection from now on."""
        self._down = True
        with self._lock:
            sockets, self._sockets = set(self._sockets), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def _accept(self) -> None:
        while True:
            client, _ = self._listener.accept()
            if self._down:
                client.close()
                continue
            try:
                server = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, throttled: bool) -> None:
        try:
            while chunk := source.recv(16384):
                if throttled:
                    self._wait(len(chunk))
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _wait(self, size: int) -> None:
        with self._lock:
            start = max(self._next_free, time.monotonic())
            self._next_free = start + size / self.rate
        delay = start - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def make_demo_tree(root: Path) -> Path:
    """A member export: MBA CSVs by month, reports, policy documents (deterministic)."""
    rng = random.Random(42)
    data = root / "export" / "data"

    def write(relative: str, low: int, high: int) -> None:
        path = data / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(rng.randint(low, high)))

    for month in range(1, 13):
        write(f"mba/csv/2024-{month:02d}/MemberData.csv", 4_000_000, 12_000_000)
        write(f"mba/csv/2024-{month:02d}/Claims.csv", 2_000_000, 9_000_000)
        write(f"mba/csv/2024-{month:02d}/Eligibility.csv", 300_000, 1_500_000)
    for quarter in range(1, 5):
        write(f"mba/reports/Q{quarter}-summary.pdf", 400_000, 1_800_000)
    for name in ("terms-2024.pdf", "privacy-notice.pdf", "rates.xlsx", "renewals.csv"):
        write(f"policy/{name}", 200_000, 900_000)
    return data


def make_duplicates_tree(root: Path) -> tuple[Path, dict[str, bytes]]:
    """A claims export dropped again: some files S3 has, some it holds otherwise, copies.

    Returns the folder to drop and the objects to put in the mba bucket first.
    """
    rng = random.Random(7)
    folder = root / "Shared" / "claims-2023" / "mba"

    def data(low: int, high: int) -> bytes:
        return rng.randbytes(rng.randint(low, high))

    files = {
        "csv/claims-2023/Q1.csv": data(180_000, 400_000),
        "csv/claims-2023/Q2.csv": data(180_000, 400_000),
        "csv/claims-2023/Q3.csv": data(180_000, 400_000),
        "csv/claims-2023/Q4.csv": data(180_000, 400_000),
        "csv/claims-2023/members-final.csv": data(60_000, 90_000),
        "csv/claims-2023/new-enrollees.csv": data(20_000, 40_000),
        "csv/claims-2023/plans.csv": data(8_000, 12_000),
        "reports/summary.pdf": data(300_000, 500_000),
    }
    files["csv/claims-2023/members-final (1).csv"] = files["csv/claims-2023/members-final.csv"]
    files["csv/claims-2023/backup/plans.csv"] = files["csv/claims-2023/plans.csv"]
    files["reports/summary-copy.pdf"] = files["reports/summary.pdf"]
    for relative, body in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    in_s3 = {
        "mba/csv/claims-2023/Q1.csv": files["csv/claims-2023/Q1.csv"],
        "mba/csv/claims-2023/Q2.csv": files["csv/claims-2023/Q2.csv"],
        "mba/csv/claims-2023/Q3.csv": data(180_000, 400_000),
        "mba/csv/claims-2023/Q4.csv": files["csv/claims-2023/Q4.csv"][:-4096] + data(4096, 4096),
        "mba/csv/archive/members-2023.csv": files["csv/claims-2023/members-final.csv"],
    }
    return folder, in_s3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="hma-screens-"))
    os.environ["HMA_CONFIG_DIR"] = str(home / "config")
    os.environ["HMA_DATA_DIR"] = str(home / "data")
    for name in list(os.environ):
        if name.startswith("AWS_") or (name.startswith("HMA_") and not name.endswith("_DIR")):
            del os.environ[name]
    try:
        return shoot(args.out, home)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)


def shoot(out: Path, home: Path) -> int:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from hma_gui.core.config.settings import Settings, load_settings
    from hma_gui.core.logging_setup import setup_logging
    from hma_gui.core.s3.client import make_s3_client
    from hma_gui.core.s3.sandbox import Sandbox, create_scope_buckets, sandbox_settings
    from hma_gui.ui.app import create_application
    from hma_gui.ui.main_window import MainWindow
    from hma_gui.ui.session import Session
    from hma_gui.ui.shell.first_run import FirstRunDialog

    _app = create_application([sys.argv[0]])  # kept alive until the end
    memory = setup_logging(console=False)
    proxies: list[ThrottleProxy] = []

    def throttled_sandbox(settings: Settings) -> tuple[Sandbox, Settings]:
        sandbox = Sandbox()
        endpoint = sandbox.start()
        direct = sandbox_settings(settings, endpoint)
        create_scope_buckets(make_s3_client(direct), direct)
        proxy = ThrottleProxy(("127.0.0.1", int(endpoint.rsplit(":", 1)[1])), 6 * 1024 * 1024)
        proxies.append(proxy)
        return sandbox, sandbox_settings(settings, proxy.endpoint)

    def wait(condition: Callable[[], bool], timeout: float = 180) -> None:
        loop = QEventLoop()
        deadline = time.monotonic() + timeout
        timer = QTimer()
        timer.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
        timer.start(50)
        if not condition():
            loop.exec()
        timer.stop()
        if not condition():
            raise TimeoutError("the window did not reach the state to photograph")

    def pause_for(seconds: float) -> None:
        until = time.monotonic() + seconds
        wait(lambda: time.monotonic() >= until)

    settings = load_settings(concurrency=4, max_attempts=2, connect_timeout=2)
    session = Session(settings, sandbox=True, sandbox_starter=throttled_sandbox)
    window = MainWindow(session, memory)
    window.show()
    window.resize(*SIZE)  # after show: larger than the offscreen screen, which show would fit
    window.start()
    wait(lambda: session.is_ready)
    demo = make_demo_tree(home)
    out.mkdir(parents=True, exist_ok=True)

    def save(name: str) -> str:
        pause_for(0.4)  # two feed ticks: the view shows the latest numbers
        path = out / f"{name}.png"
        window.grab().save(str(path))
        print(f"wrote {path}")
        return name

    def empty() -> str:
        return save("empty")

    def etl() -> str:
        """The sample CSVs and a later member file with two bad rows, loaded by Run ETL."""
        assert session.sandbox is not None
        direct = make_s3_client(sandbox_settings(settings, session.sandbox.endpoint))
        bucket = session.settings.scope("mba").bucket
        for path in sorted(SAMPLE_CSV.glob("*.csv")):
            direct.put_object(Bucket=bucket, Key=f"mba/csv/{path.name}", Body=path.read_bytes())
        header = (SAMPLE_CSV / "MemberData.csv").read_text(encoding="utf-8").splitlines()[0]
        late = [
            "M20000001,Grace,Okafor,1991-04-12,F,HMO-NJ-23-0002,2025-01-01,,07030,",
            "M20000002,Tomás,Lindqvist,02/30/1985,M,HMO-NJ-23-0002,2025-01-01,,07030,",
            "M20000003,Priya,Raman,1979-11-02,F,PPO-XX-25-9999,2025-01-01,,10001,",
            "M20000004,Lena,Hart,1968-07-19,F,HMO-NJ-23-0002,2025-02-01,,07031,",
        ]
        body = "\n".join([header, *late]) + "\n"
        direct.put_object(Bucket=bucket, Key="mba/csv/members_2025.csv", Body=body.encode())
        window.run_etl()
        wait(lambda: not window.etl.busy and window.etl.last_result is not None)
        wait(lambda: window.etl_panel.history_model.rowCount() >= 5)
        name = save("etl")
        window.tabs.setCurrentWidget(window.table)
        return name

    def uploading() -> str:
        window.add_paths([demo])
        wait(lambda: session.store.counters().done >= 14)
        first = window.model.index(max(0, session.store.counters().done - 3), 0)
        view = window.table.view
        view.scrollTo(window.table.proxy.mapFromSource(first), view.ScrollHint.PositionAtTop)
        return save("uploading")

    def failures() -> str:
        loose = home / "Downloads"
        loose.mkdir()
        (loose / "member-list-final.csv").write_bytes(b"id\n1\n")
        (loose / "notes.txt").write_bytes(b"x")
        window.add_paths([loose])
        proxies[0].down()
        wait(lambda: session.queue.mode.value == "paused", 120)
        wait(lambda: session.store.counters().running == 0, 120)
        window.table.chips["Failed"].click()
        window.table.view.sortByColumn(6, Qt.SortOrder.DescendingOrder)  # by message
        return save("failures")

    def settings_dialog() -> str:
        window.open_settings()
        dialog = window.settings_dialog
        assert dialog is not None
        dialog.resize(700, 650)  # its content without scrolling
        dialog.concurrency.setValue(0)  # show the inline validation
        dialog.tabs.setCurrentIndex(2)
        pause_for(0.3)
        path = out / "settings.png"
        dialog.grab().save(str(path))
        dialog.reject()
        print(f"wrote {path}")
        return "settings"

    def review() -> str:
        """A claims export dropped with "ask": the review dialog opens before it uploads."""
        assert session.sandbox is not None
        direct = make_s3_client(sandbox_settings(settings, session.sandbox.endpoint))
        folder, in_s3 = make_duplicates_tree(home)
        bucket = session.settings.scope("mba").bucket
        for key, body in in_s3.items():
            direct.put_object(Bucket=bucket, Key=key, Body=body)
        window.duplicates.save_policy("ask", True)
        window.duplicates.panel.set_policy("ask", True)
        window.add_paths([folder])
        wait(lambda: window.duplicates.dialog is not None)
        dialog = window.duplicates.dialog
        assert dialog is not None
        dialog.resize(1180, 640)
        model = dialog.findings_model
        row = next(r for r, f in enumerate(model.rows) if f.key.endswith("Q3.csv"))
        model.setData(model.index(row, 6), "keep-both")
        dialog.findings_view.selectRow(row)
        pause_for(0.4)
        path = out / "review.png"
        dialog.grab().save(str(path))
        print(f"wrote {path}")
        dialog.apply_button.click()
        return "review"

    def duplicates() -> str:
        flow = window.duplicates
        wait(lambda: bool(flow.recent) and not flow.recent[0].waiting)
        window.tabs.setCurrentWidget(flow.panel)
        flow.panel.show_page(0)
        name = save("duplicates")
        window.tabs.setCurrentWidget(window.table)
        return name

    def watched() -> str:
        """Two watched folders: an export folder that received files, and a paused one."""
        from hma_gui.core.config.settings import WatchFolderSettings

        exports = home / "exports" / "mba"
        exports.mkdir(parents=True)
        claims = home / "claims-drop"
        claims.mkdir()
        service = window.watch_service
        window._watch_list_saved(
            service.add_folder(WatchFolderSettings(path=exports, scope="auto", include=["csv"]))
        )
        window._watch_list_saved(
            service.add_folder(WatchFolderSettings(path=claims, scope="policy", enabled=False))
        )
        before = session.store.counters().done
        for n in range(1, 4):
            (exports / f"eligibility_2025-0{n}.csv").write_text("member_id,plan_id\n" * 40)
        wait(lambda: session.store.counters().done >= before + 3)
        window.tabs.setCurrentWidget(window.watch_panel)
        name = save("watched")
        window.tabs.setCurrentWidget(window.table)
        return name

    def first_run() -> str:
        dialog = FirstRunDialog()
        dialog.show()
        pause_for(0.3)
        path = out / "first-run.png"
        dialog.grab().save(str(path))
        dialog.close()
        print(f"wrote {path}")
        return "first-run"

    # etl runs before the demo tree is uploaded: the demo's random mba/csv files are no CSVs
    # review and duplicates run before failures: that one takes the endpoint down
    states: list[Callable[[], str]] = [
        empty,
        etl,
        uploading,
        review,
        duplicates,
        watched,
        failures,
        settings_dialog,
        first_run,
    ]
    for state in states:
        state()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
