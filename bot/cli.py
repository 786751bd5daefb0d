"""The `lrquiz` console script. Every failure is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import importlib
import json
import os
import sys
from collections.abc import AsyncIterator, Sequence

from dotenv import load_dotenv

from bot.bootstrap import open_service
from bot.engine.modes import MODES
from bot.engine.periods import PERIODS
from bot.labels import PERIOD_TITLES
from bot.real_output import Runner
from bot.service import GameService, Leaderboard
from problems.errors import PackError
from storage.errors import StorageError
from storage.users import PlayerRef

TERMINAL = ("terminal", "local")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrquiz",
        description="Timed PyTorch quizzes on learning-rate differentials.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    play = commands.add_parser("play", help="play in this terminal (answers from stdin)")
    play.add_argument("--mode", choices=MODES, default="challenge")
    play.add_argument("--user", default=None, help="player name (default: your login name)")
    play.add_argument(
        "--db",
        default=None,
        help="database file (default: $LRQUIZ_DB or ~/.local/share/lrquiz/lrquiz.db)",
    )
    play.add_argument("--pack", default=None, help="pack id to play (default: lr-differential)")
    play.add_argument(
        "--packs",
        nargs="+",
        metavar="PATH",
        default=None,
        help="load packs from these files or folders instead of the shipped ones",
    )
    play.add_argument(
        "--runner",
        default=None,
        metavar="URL",
        help="runner URL for real output, or 'off' (default: $LRQUIZ_RUNNER_URL, "
        "else a local runner is started)",
    )
    play.set_defaults(func=_play)

    board = commands.add_parser("leaderboard", help="show the terminal leaderboard")
    board.add_argument("--db", default=None)
    board.add_argument("--period", choices=PERIODS, default="all")
    board.add_argument("--json", action="store_true", help="machine-readable output")
    board.set_defaults(func=_leaderboard)

    from problems.cli import register as register_problems

    register_problems(commands)
    run = commands.add_parser("run", help="run the Discord or Slack bot")
    platforms = run.add_subparsers(dest="platform", metavar="PLATFORM")
    platforms.required = True
    for front_end in ("bot.discord.cli", "bot.slack.cli"):
        # Each front end registers its own commands; chat SDKs are imported only when run.
        importlib.import_module(front_end).register(commands, platforms)
    try:
        from runner.cli import register as register_runner
    except ImportError:  # the runner is an optional part of the install
        pass
    else:
        register_runner(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # A .env file in the working directory may supply configuration; real environment
    # variables and command-line flags win over it.
    load_dotenv(".env", override=False)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (StorageError, PackError, ValueError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"lrquiz: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130


def _play(args: argparse.Namespace) -> int:
    return asyncio.run(_play_async(args))


async def _play_async(args: argparse.Namespace) -> int:
    from bot.terminal.input import LineReader
    from bot.terminal.play import TerminalGame

    service = await open_service(args.db, args.packs, pack_id=args.pack)
    try:
        name = args.user or _login_name()
        player_id = await service.player_id(PlayerRef(*TERMINAL, name, name))
        async with _runner(args.runner) as runner:
            game = TerminalGame(
                service, player_id, sys.stdout, LineReader(), runner, interactive=sys.stdin.isatty()
            )
            await game.play(args.mode, args.pack)
    finally:
        await service.db.close()
    return 0


@contextlib.asynccontextmanager
async def _runner(url: str | None) -> AsyncIterator[Runner | None]:
    """The runner client for real output; None when switched off or not installed."""
    url = url or os.environ.get("LRQUIZ_RUNNER_URL") or None
    if url == "off":
        yield None
        return
    try:
        from runner.local import runner_client
    except ImportError:
        yield None
        return
    async with runner_client(url) as client:
        yield client


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "player"


def _leaderboard(args: argparse.Namespace) -> int:
    return asyncio.run(_leaderboard_async(args))


async def _leaderboard_async(args: argparse.Namespace) -> int:
    service: GameService = await open_service(args.db)
    try:
        board = await service.leaderboard(*TERMINAL, period=args.period)
    finally:
        await service.db.close()
    print(_board_json(board) if args.json else _board_text(board))
    return 0


def _board_json(board: Leaderboard) -> str:
    return json.dumps(
        {
            "period": board.period,
            "rows": [
                {
                    "rank": r.rank,
                    "name": r.name,
                    "points": r.points,
                    "correct": r.correct,
                    "answered": r.answered,
                    "accuracy": round(r.accuracy, 4),
                }
                for r in board.rows
            ],
        },
        indent=2,
    )


def _board_text(board: Leaderboard) -> str:
    lines = [f"🏆 Leaderboard — {PERIOD_TITLES[board.period]}"]
    if not board.rows:
        lines.append("No answers yet. Play with: lrquiz play")
    for row in board.rows:
        lines.append(
            f"{row.rank:>3}. {row.name:<20} {row.points:>6} pts  "
            f"{row.correct}/{row.answered} correct ({row.accuracy:.0%})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
