"""``hma-ingest config show|path``: what the settings resolve to, secrets masked."""

from __future__ import annotations

from typing import Any, cast

from hma_gui.cli.context import CliContext
from hma_gui.cli.exit_status import ExitStatus
from hma_gui.core import app_dirs
from hma_gui.core.redaction import MASK, mask_values


def register(commands: Any) -> None:
    config = commands.add_parser("config", help="show the effective settings and where they live")
    sub = config.add_subparsers(dest="config_command", metavar="{show,path}")
    show = sub.add_parser("show", help="the effective settings (secrets masked)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show)
    path = sub.add_parser("path", help="the settings file, data and log directories")
    path.set_defaults(handler=cmd_path)
    config.set_defaults(handler=cmd_show, json=False)


def cmd_show(ctx: CliContext) -> int:
    settings = ctx.settings()
    data = settings.model_dump(mode="json")
    if settings.db_password is not None:
        data["db_password"] = MASK
    data["effective_endpoint"] = settings.effective_endpoint()
    # a password inside a URL (db_url, an endpoint) is masked like db_password
    data = cast("dict[str, Any]", mask_values(data))
    if ctx.json_output:
        ctx.emit_json(data)
        return ExitStatus.OK
    for name, value in data.items():
        if name == "scopes":
            for scope, target in value.items():
                ctx.out(f"scope {scope:10} s3://{target['bucket']}/{target['prefix']}")
        else:
            ctx.out(f"{name} = {value}")
    return ExitStatus.OK


def cmd_path(ctx: CliContext) -> int:
    ctx.out(f"settings file: {app_dirs.settings_file()}")
    ctx.out(f"data directory: {app_dirs.data_dir()}")
    ctx.out(f"log directory: {app_dirs.log_dir()}")
    return ExitStatus.OK
