"""`lrquiz run discord` and `lrquiz discord sync [--guild ID]`.

discord.py is imported only inside the handlers, so the rest of the CLI works without it.
Commands are synced deliberately (Discord rate-limits syncing, and a global sync takes up to
an hour to reach every client), never on start. Every failure is one line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import Any

from bot import ops_config

from . import shards as shard_config

TOKEN_ENV = "DISCORD_TOKEN"
LOG_LEVEL_ENV = "LRQUIZ_LOG_LEVEL"
# Base URL of Discord's REST API, for a proxy or an offline test double.
API_ENV = "DISCORD_API_URL"
GATEWAY_ENV = "DISCORD_GATEWAY_URL"
NO_TOKEN = (
    f"{TOKEN_ENV} is not set; create a bot at https://discord.com/developers/applications "
    "and export its token (see README, Discord)"
)


def register(commands: Any, run_platforms: Any) -> None:
    """Add this front end's commands; import discord.py only inside the handlers."""
    run = run_platforms.add_parser("discord", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.add_argument(
        "--db",
        default=None,
        help="database file (default: $LRQUIZ_DB or ~/.local/share/lrquiz/lrquiz.db)",
    )
    run.add_argument(
        "--runner",
        default=None,
        metavar="URL",
        help="runner URL for real output, or 'off' (default: $LRQUIZ_RUNNER_URL, "
        "else a local runner is started)",
    )
    ops_config.add_arguments(run)
    shard_config.add_arguments(run)
    run.set_defaults(func=_run)

    discord_cmd = commands.add_parser("discord", help="Discord bot maintenance")
    actions = discord_cmd.add_subparsers(dest="discord_action", metavar="ACTION")
    actions.required = True
    sync = actions.add_parser(
        "sync", help="register the slash commands with Discord (globally, or in one server)"
    )
    sync.add_argument(
        "--guild",
        type=int,
        default=None,
        metavar="ID",
        help="sync to this server only: available at once (for testing)",
    )
    sync.add_argument(
        "--clear",
        action="store_true",
        help="remove the commands instead (e.g. a test server's copies once synced globally)",
    )
    sync.set_defaults(func=_sync)


def _token() -> str | None:
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        print(f"lrquiz: error: {NO_TOKEN}", file=sys.stderr)
        return None
    return token


def _prepare_discord() -> None:
    """Point discord.py at $DISCORD_API_URL and $DISCORD_GATEWAY_URL if set (a proxy, an
    offline test double), and drop its voice warnings (no voice)."""
    from discord.voice_client import VoiceClient

    for flag in ("warn_nacl", "warn_dave"):
        if hasattr(VoiceClient, flag):
            setattr(VoiceClient, flag, False)
    base = os.environ.get(API_ENV, "").strip().rstrip("/")
    if base:
        from discord.http import Route

        Route.BASE = base
    gateway = os.environ.get(GATEWAY_ENV, "").strip()
    if gateway:
        import yarl
        from discord.gateway import DiscordWebSocket

        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway)


def _fail(message: str) -> int:
    print(f"lrquiz: error: {message}", file=sys.stderr)
    return 1


def _run(args: argparse.Namespace) -> int:
    token = _token()
    if token is None:
        return 1
    from bot.scheduler import grace_from_env

    try:
        args.schedule_grace_s = grace_from_env()
        ops_config.wanted(args)  # a bad LRQUIZ_METRICS_PORT, before connecting
        args.shards = shard_config.wanted(args)
    except ValueError as error:
        return _fail(str(error))
    level = os.environ.get(LOG_LEVEL_ENV, "INFO").strip().upper() or "INFO"
    if not isinstance(logging.getLevelName(level), int):
        return _fail(f"{LOG_LEVEL_ENV} must be DEBUG, INFO, WARNING or ERROR, not {level!r}")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # discord.py's own INFO lines (gateway sessions) only when asked for DEBUG.
    logging.getLogger("discord").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    logging.getLogger("aiosqlite").setLevel(logging.INFO)  # a line per query even at DEBUG
    return asyncio.run(_run_async(args, token))


async def _run_async(args: argparse.Namespace, token: str) -> int:
    import aiohttp
    import discord

    from bot import ops_http
    from bot.bootstrap import open_runner, open_service

    from .client import LrquizBot

    _prepare_discord()
    service = await open_service(args.db)
    try:
        async with open_runner(args.runner) as runner:
            bot = LrquizBot(
                service,
                runner,
                schedule_grace_s=args.schedule_grace_s,
                **args.shards.client_options(),
            )
            _stop_on_signals(bot)
            metrics = bot.conversation.metrics
            try:
                async with ops_http.serving(args, service.db, metrics, bot.gateway_status), bot:
                    await bot.start(token)
            except ops_http.MetricsPortError as error:
                return _fail(str(error))
            except discord.LoginFailure:
                return _fail(f"Discord rejected {TOKEN_ENV} (invalid or reset token)")
            except discord.PrivilegedIntentsRequired:
                return _fail("Discord refused the gateway intents this bot asked for")
            except discord.HTTPException as error:
                return _fail(f"Discord API error {error.status}: {error.text or error}")
            except (OSError, aiohttp.ClientError) as error:
                return _fail(f"cannot reach Discord: {error}")
            except Exception as error:  # e.g. discord.py giving up on the gateway
                logging.getLogger(__name__).debug("the bot stopped", exc_info=error)
                return _fail(
                    f"the Discord connection failed ({type(error).__name__}: {error}); "
                    "run with LRQUIZ_LOG_LEVEL=DEBUG for details"
                )
    finally:
        await service.db.close()
    logging.getLogger(__name__).info("stopped; the database is closed")
    return 0


def _stop_on_signals(bot: Any) -> None:
    """SIGTERM (docker stop, systemctl stop) and SIGINT close the bot the same clean way:
    handlers in flight finish, then the connection and the database close."""
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def stop(name: str) -> None:
        if not stopping:
            logging.getLogger(__name__).info("%s received; shutting down", name)
            stopping.append(loop.create_task(bot.close()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum.name)


def _sync(args: argparse.Namespace) -> int:
    token = _token()
    if token is None:
        return 1
    return asyncio.run(_sync_async(args, token))


async def _sync_async(args: argparse.Namespace, token: str) -> int:
    import discord
    from discord import app_commands

    from .parse import install

    _prepare_discord()
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    install(tree)
    try:
        async with client:
            await client.login(token)
            guild = None if args.guild is None else discord.Object(id=args.guild)
            if args.clear:
                tree.clear_commands(guild=guild)
            elif guild is not None:
                tree.copy_global_to(guild=guild)
            synced = await tree.sync(guild=guild)
    except discord.LoginFailure:
        return _fail(f"Discord rejected {TOKEN_ENV} (invalid or reset token)")
    except discord.Forbidden:
        return _fail(
            f"Discord refused the sync: is the bot in server {args.guild}, "
            "invited with the applications.commands scope?"
        )
    except discord.HTTPException as error:
        return _fail(f"Discord API error {error.status}: {error.text or error}")
    scope = "globally" if args.guild is None else f"in server {args.guild}"
    if args.clear:
        print(f"Removed lrquiz's slash commands {scope}")
        return 0
    when = "now" if args.guild is not None else "within an hour (Discord's global rollout)"
    names = ", ".join(f"/{command.name}" for command in synced)
    print(f"Synced {len(synced)} command groups {scope}, available {when}: {names}")
    return 0
