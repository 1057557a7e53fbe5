"""``serve``: the HTTP API under uvicorn (needs the ``service`` extra: fastapi, uvicorn).

Loopback by default. Any other address requires ``api_token`` (HMA_API_TOKEN)
in the settings; every request then carries ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.cli.queue_cmd import add_queue_option
from hma_gui.core.s3.client import is_loopback


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="the HTTP API: POST /jobs, GET /jobs/{id}, POST /ingest, /health, /stats, /docs",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8080)
    add_queue_option(serve)
    serve.add_argument(
        "--etl-queue",
        metavar="URL",
        help="where POST /ingest sends S3 events: sqs://NAME or the queue's URL "
        "(default: HMA_ETL_QUEUE_URL; none: POST /ingest answers 503)",
    )
    serve.set_defaults(handler=cmd_serve)


def cmd_serve(ctx: CliContext) -> int:
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        ctx.err(
            "hma-ingest: serve needs the service extra: pip install 'hma-ingest[service]' "
            "(uv sync --extra service)"
        )
        return ExitStatus.ERROR
    import uvicorn

    from hma_gui.core.processes import process_identity
    from hma_gui.service.api import ApiDeps, create_app

    settings = ctx.settings()
    token = settings.api_token.get_secret_value() if settings.api_token else None
    host = ctx.args.host
    if not is_loopback(f"http://{host}:0") and not token:
        ctx.err(
            f"hma-ingest: serving on {host} (not loopback) needs a bearer token: "
            "set api_token (HMA_API_TOKEN)"
        )
        return ExitStatus.ERROR
    deps = ApiDeps(
        settings=settings,
        queue=ctx.queue(ctx.args.queue),
        s3=ctx.s3(),
        sender=f"api:{process_identity()}",
        token=token,
        database_check=_database_check(settings),
        etl_queue=_etl_queue(ctx),
    )
    etl = f", ETL queue {deps.etl_queue.name}" if deps.etl_queue is not None else ""
    ctx.err(f"hma-ingest: serving on http://{host}:{ctx.args.port} (queue {deps.queue.name}{etl})")
    uvicorn.run(create_app(deps), host=host, port=ctx.args.port, log_level="warning")
    return ExitStatus.OK


def _etl_queue(ctx: CliContext) -> Any:
    if not (ctx.args.etl_queue or ctx.settings().etl_queue_url):
        return None
    from hma_gui.core.processes import process_identity
    from hma_gui.core.queue.factory import open_etl_queue

    return open_etl_queue(
        ctx.settings(), s3_client=ctx.s3, url=ctx.args.etl_queue, worker=process_identity()
    )


def _database_check(settings: Any) -> Any:
    if not settings.db_url:
        return None  # the embedded SQLite file: nothing to reach

    def check() -> None:
        from hma_gui.core.etl.database import DbConfig
        from hma_gui.core.etl.open_db import open_database

        open_database(DbConfig.from_settings(settings)).close()

    return check
