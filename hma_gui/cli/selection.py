"""Which files a command takes: --scope, --include, --exclude, and the plan options they make.

Shared by ``upload``, ``check-duplicates`` and ``watch``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from hma_gui.cli.context import CliContext
from hma_gui.core.files.key_convention import AUTO_SCOPE
from hma_gui.core.jobs.plan import PlanOptions

if TYPE_CHECKING:
    from hma_gui.core.config.settings import Settings


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """--scope, --include, --exclude: shared by upload, check-duplicates and watch."""
    parser.add_argument(
        "--scope",
        default=AUTO_SCOPE,
        help="scope of the files (mba, policy, …) or 'auto' to read it from the folder names",
    )
    parser.add_argument(
        "--include",
        action="append",
        metavar="EXT",
        help="only these extensions (repeat or comma-separate: --include csv,pdf)",
    )
    parser.add_argument("--exclude", action="append", metavar="EXT", help="never these extensions")
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        default=None,
        help="follow symbolic links that lead outside the folder (default: skipped with a reason)",
    )


def plan_options(ctx: CliContext, settings: Settings | None = None) -> PlanOptions:
    """The options of `ctx`'s command line over `settings` (default: ``ctx.settings()``)."""
    args = ctx.args
    return PlanOptions.from_settings(
        ctx.settings() if settings is None else settings,
        scope=args.scope,
        include=args.include,
        exclude=args.exclude,
        follow_symlinks=args.follow_symlinks,
    )
