"""`lrquiz run slack [--http] [--port N]`: Socket Mode by default, HTTP mode with --http.

slack_bolt is imported only when the command runs, so the rest of the CLI works without
the Slack extra installed. Missing tokens are one `lrquiz: error:` line naming the variable.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from bot import ops_config

DEFAULT_PORT = 3000


def register(commands: Any, run_platforms: Any) -> None:
    """Add `run slack` to the `lrquiz` parser."""
    slack = run_platforms.add_parser(
        "slack",
        help="run the Slack app (Socket Mode; --http for the Events API over HTTP)",
        description="Run the Slack app. Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
        "--http needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET and serves /slack/events.",
    )
    slack.add_argument("--http", action="store_true", help="serve HTTP instead of Socket Mode")
    slack.add_argument(
        "--port",
        type=ops_config.port_number,
        default=None,
        help=f"HTTP port (default: $PORT or {DEFAULT_PORT})",
    )
    slack.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default 0.0.0.0)")
    slack.add_argument(
        "--db",
        default=None,
        help="database file (default: $LRQUIZ_DB or ~/.local/share/lrquiz/lrquiz.db)",
    )
    slack.add_argument(
        "--runner",
        default=None,
        metavar="URL",
        help="runner URL for real output, or 'off' (default: $LRQUIZ_RUNNER_URL, else a "
        "local runner is started)",
    )
    ops_config.add_arguments(slack)
    slack.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    # Without the extra this raises ModuleNotFoundError, which `lrquiz` explains in one line
    # with the install command for this checkout (bot.cli.missing_extra).
    import slack_bolt  # noqa: F401

    from .app import SlackSettings

    settings = SlackSettings.from_env(http=args.http)  # fail before opening anything
    ops_config.wanted(args)  # a bad LRQUIZ_METRICS_PORT, too
    logging.basicConfig(
        level=os.environ.get("LRQUIZ_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(_until_signalled(_serve(args, settings)))
    return 0


async def _until_signalled(work: Any) -> None:
    """SIGTERM/SIGINT cancel the app, so the watcher stops and the database closes cleanly."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _serve(args: argparse.Namespace, settings: Any) -> None:
    from bot import ops_http
    from bot.bootstrap import open_runner, open_service

    from .app import SlackBot

    service = await open_service(args.db)
    try:
        async with open_runner(args.runner) as runner:
            bot = SlackBot(service, settings, runner)
            await bot.check_tokens(socket_mode=not args.http)  # one line, not retries forever
            await bot.start()
            try:
                async with ops_http.serving(args, service.db, bot.conversation.metrics):
                    await _listen(args, bot, settings)
            finally:
                await bot.stop()
    finally:
        await service.db.close()


async def _listen(args: argparse.Namespace, bot: Any, settings: Any) -> None:
    """Serve Slack's requests (HTTP mode) or hold the Socket Mode connection, until cancelled."""
    if not args.http:
        print("lrquiz: Slack Socket Mode connecting…", file=sys.stderr, flush=True)
        await bot.serve_socket_mode(settings.app_token)
        return
    port = args.port if args.port is not None else int(os.environ.get("PORT") or DEFAULT_PORT)
    web_runner, bound = await bot.serve_http(args.host, port)
    print(
        f"lrquiz: Slack HTTP mode listening on http://{args.host}:{bound}/slack/events",
        file=sys.stderr,
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await web_runner.cleanup()
