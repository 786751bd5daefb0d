"""`lrquiz run-snippet FILE|-`: the argument parsing, kept apart from bot/cli.py."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    run = commands.add_parser(
        "run-snippet",
        help="run a PyTorch snippet in the sandbox (exit 1 if it fails, 2 if it cannot run)",
    )
    run.add_argument("source", metavar="FILE|-", help="a Python file, or - for stdin")
    run.add_argument("--user", default=None, help="whose runs these are (default: login name)")
    run.add_argument("--db", default=None, help="database for the run log (default: $LRQUIZ_DB)")
    run.add_argument(
        "--runner",
        default=None,
        metavar="URL",
        help="runner URL (default: $LRQUIZ_RUNNER_URL, else a local runner is started)",
    )
    run.set_defaults(func=_run_snippet)


def _run_snippet(args: argparse.Namespace) -> int:
    from bot.cli import _login_name, _run_game
    from bot.terminal.app import run_snippet

    return _run_game(run_snippet(args.source, args.user or _login_name(), args.db, args.runner))
