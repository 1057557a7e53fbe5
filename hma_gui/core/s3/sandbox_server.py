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
import socket
import sys
import threading

# The argument that makes the app (or hma-ingest) run this server instead of itself.
SANDBOX_SERVER_FLAG = "--hma-sandbox-server"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hma-sandbox-server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.port and not _port_free(args.host, args.port):
        sys.stderr.write(f"hma-sandbox-server: port {args.port} is already in use\n")
        return 3
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


def _port_free(host: str, port: int) -> bool:
    """Can we listen there? (moto's server thread would hang on a taken port.)"""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _alive(pid: int) -> bool:
    if os.name == "posix":
        return os.getppid() == pid  # re-parented: the parent is gone
    from hma_gui.core.processes import process_alive

    return process_alive(pid)


if __name__ == "__main__":
    raise SystemExit(main())
