"""`lrquiz web`: serve the read-only dashboard for one database.

Registered by bot/cli.py without importing the web stack, so the command exists (and says
what to install) even where the `web` extra is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import time

from storage.errors import StorageError

TERMINAL = ("terminal", "local")
OPEN_TTL_S = 12 * 3600


def register(commands: argparse._SubParsersAction) -> None:
    web = commands.add_parser("web", help="serve the read-only web dashboard")
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    web.add_argument(
        "--db",
        default=None,
        help="database file (default: $LRQUIZ_DB or ~/.local/share/lrquiz/lrquiz.db)",
    )
    web.add_argument(
        "--open",
        action="store_true",
        help="print (and try to open) a link to this terminal's own dashboard",
    )
    web.add_argument(
        "--user", default=None, help="with --open: the terminal player (default: login name)"
    )
    web.add_argument(
        "--runner",
        default=None,
        metavar="URL",
        help="runner for the bank's real output, or 'off' (default: $LRQUIZ_RUNNER_URL, "
        "else a local runner is started)",
    )
    web.add_argument(
        "--packs", nargs="+", metavar="PATH", default=None, help="pack files or folders"
    )
    web.set_defaults(func=_web)


def _web(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise ValueError(f"--port {args.port} is not a TCP port (1-65535)")
    try:
        import jinja2  # noqa: F401
        import plotly  # noqa: F401
        import pygments  # noqa: F401
    except ImportError as missing:
        print(
            f"lrquiz: error: the web dashboard needs {missing.name}; install it with "
            "pip install 'lrquiz[web]'",
            file=sys.stderr,
        )
        return 1
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from bot.bootstrap import open_runner
    from bot.cli import _local_zone, _login_name
    from problems.loader import default_packs, load_packs
    from storage.factory import open_database
    from storage.paths import default_db_path

    from .app import Dashboard, build_app
    from .data import DashboardData
    from .links import dashboard_link
    from .real_outputs import RealOutputs
    from .secret import base_url, load_secret

    logging.basicConfig(level=os.environ.get("LRQUIZ_LOG_LEVEL", "INFO").upper())
    packs = load_packs(args.packs) if args.packs else default_packs()
    if args.db is not None and not str(args.db).strip():
        raise StorageError("the database path is empty; give a file path or leave it out")
    db_path = args.db or default_db_path()
    db = await open_database(db_path, read_only=True)
    try:
        secret = load_secret(db_path)
        async with open_runner(args.runner) as runner:
            reason = (
                "real output is switched off (--runner off)"
                if args.runner == "off"
                else ("no runner is available")
            )
            outputs = RealOutputs(runner, off_reason=reason)
            outputs.start(p for pack in packs for p in pack.problems)
            data = DashboardData(db, packs, terminal_zone=_local_zone())
            app_runner = web.AppRunner(build_app(Dashboard(data, secret, outputs)), access_log=None)
            await app_runner.setup()
            try:
                site = web.TCPSite(app_runner, args.host, args.port)
                await site.start()
                local = f"http://{_url_host(args.host)}:{args.port}"
                print(f"lrquiz web: serving {local}/ from {db_path} (read-only)", flush=True)
                if args.open:
                    name = args.user or _login_name()
                    link = dashboard_link(
                        base_url(default=local),
                        secret,
                        *TERMINAL,
                        name,
                        True,
                        time.time(),
                        OPEN_TTL_S,
                    )
                    print(f"Your dashboard: {link}", flush=True)
                    _try_browser(link)
                else:
                    print(
                        "Pages open from a signed link: /lrquiz dashboard in Discord or Slack, "
                        "or lrquiz web --open for this terminal's own board.",
                        flush=True,
                    )
                await asyncio.Event().wait()
            finally:
                await outputs.aclose()
                await app_runner.cleanup()
    finally:
        await db.close()
    return 0


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _try_browser(link: str) -> None:
    """Only where a graphical browser can appear: a text browser would take the terminal."""
    if sys.platform not in ("darwin", "win32") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return
    import webbrowser

    with contextlib.suppress(Exception):
        webbrowser.open(link)
