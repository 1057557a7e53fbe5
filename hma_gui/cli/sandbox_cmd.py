"""``hma-ingest sandbox``: a local S3 endpoint for trying everything without AWS."""

from __future__ import annotations

import threading
from typing import Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.core.config.settings import load_settings
from hma_gui.core.s3.client import SANDBOX_ACCESS_KEY, SANDBOX_REGION, make_s3_client
from hma_gui.core.s3.sandbox import (
    DEFAULT_SANDBOX_PORT,
    Sandbox,
    create_scope_buckets,
    sandbox_settings,
)


def register(commands: Any) -> None:
    sandbox = commands.add_parser(
        "sandbox",
        help="run a local S3-compatible endpoint on 127.0.0.1 until Ctrl-C",
        description=(
            "Starts moto's S3 server on 127.0.0.1 with the scope buckets created, prints the "
            "environment to use it, and serves until interrupted. Objects live in memory."
        ),
    )
    sandbox.add_argument(
        "--port", type=int, default=DEFAULT_SANDBOX_PORT, help="port (0 picks a free one)"
    )
    sandbox.set_defaults(handler=cmd_sandbox)


def cmd_sandbox(ctx: CliContext, *, stop: threading.Event | None = None) -> int:
    settings = load_settings()
    server = Sandbox(ctx.args.port)
    server.start()
    try:
        sandboxed = sandbox_settings(settings, server.endpoint)
        buckets = create_scope_buckets(make_s3_client(sandboxed), sandboxed)
        ctx.out(f"sandbox S3 endpoint running at {server.endpoint}")
        ctx.out(f"buckets: {', '.join(buckets)}")
        ctx.out("use it from another terminal with:")
        ctx.out(f"  export AWS_ENDPOINT_URL={server.endpoint}")
        ctx.out(
            f"  export AWS_ACCESS_KEY_ID={SANDBOX_ACCESS_KEY}"
            f" AWS_SECRET_ACCESS_KEY={SANDBOX_ACCESS_KEY}"
        )
        ctx.out(f"  export AWS_DEFAULT_REGION={SANDBOX_REGION}")
        ctx.out("press Ctrl-C to stop (the objects are kept in memory only)")
        waiter = stop or threading.Event()
        while server.running and not waiter.wait(0.5):
            pass
        if not server.running:
            ctx.err("hma-ingest: the sandbox server stopped unexpectedly")
            return ExitStatus.ERROR
        return ExitStatus.OK
    except KeyboardInterrupt:
        ctx.out("sandbox stopped")
        return ExitStatus.OK
    finally:
        server.stop()
