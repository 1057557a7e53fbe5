"""The sandbox server process: moto's S3 server on 127.0.0.1 until its parent goes.

Started by `sandbox.Sandbox`; prints one JSON line ``{"port": N}`` once it
accepts connections, then serves until terminated or orphaned.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hma-sandbox-server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=args.host, port=args.port, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
    sys.stdout.write(json.dumps({"port": port}) + "\n")
    sys.stdout.flush()
    parent = int(os.environ.get("HMA_SANDBOX_PARENT", "0") or 0)
    while not stopped.wait(0.5):
        if parent and not _alive(parent):
            break
    server.stop()
    return 0


def _alive(pid: int) -> bool:
    if os.name == "posix":
        return os.getppid() == pid  # re-parented: the parent is gone
    from hma_gui.core.processes import process_alive

    return process_alive(pid)


if __name__ == "__main__":
    raise SystemExit(main())
