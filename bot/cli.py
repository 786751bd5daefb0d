"""The `lrquiz` console script. Every failure is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import importlib
import json
import os
import sqlite3
import sys
from collections.abc import Sequence

from dotenv import load_dotenv

from bot.bootstrap import open_runner, open_service
from bot.engine.modes import MODES
from bot.engine.periods import PERIODS
from bot.labels import PERIOD_TITLES
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
        "--daily",
        action="store_true",
        help="play today's daily challenge instead (once a day; keeps a streak)",
    )
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

    for name, func, text in (
        ("stats", _stats, "your record: accuracy by kind and difficulty, points, streak, badges"),
        ("badges", _badges, "the badges you have earned"),
    ):
        record = commands.add_parser(name, help=text)
        record.add_argument("--user", default=None, help="player name (default: login name)")
        record.add_argument("--db", default=None)
        record.set_defaults(func=func)

    from problems.cli import register as register_problems

    register_problems(commands)
    from bot.web.cli import register as register_web

    register_web(commands)
    from bot.learning_cli import register_ratings

    register_ratings(commands)
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
        print(f"lrquiz: error: {_first_line(error)}", file=sys.stderr)
        return 1
    except sqlite3.Error as error:
        print(f"lrquiz: error: database: {_first_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130
    except Exception as error:  # last resort: one line for the user, the details on request
        if os.environ.get("LRQUIZ_DEBUG"):
            raise
        print(
            f"lrquiz: internal error: {type(error).__name__}: {_first_line(error)} "
            "(set LRQUIZ_DEBUG=1 to see the traceback)",
            file=sys.stderr,
        )
        return 70


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _play(args: argparse.Namespace) -> int:
    return asyncio.run(_play_async(args))


async def _play_async(args: argparse.Namespace) -> int:
    from bot.terminal.input import LineReader
    from bot.terminal.play import TerminalGame

    service = await open_service(args.db, args.packs, pack_id=args.pack)
    try:
        name = args.user or _login_name()
        player_id = await service.player_id(PlayerRef(*TERMINAL, name, name))
        async with open_runner(args.runner) as runner:
            game = TerminalGame(
                service, player_id, sys.stdout, LineReader(), runner, interactive=sys.stdin.isatty()
            )
            if args.daily:
                await game.play_daily(_local_zone(), args.pack)
            else:
                await game.play(args.mode, args.pack)
    finally:
        await service.db.close()
    return 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "player"


def _stats(args: argparse.Namespace) -> int:
    return asyncio.run(_record_async(args, with_stats=True))


def _badges(args: argparse.Namespace) -> int:
    return asyncio.run(_record_async(args, with_stats=False))


async def _record_async(args: argparse.Namespace, with_stats: bool) -> int:
    from bot.dailies import DailyChallenges
    from bot.terminal import render

    service = await open_service(args.db)
    try:
        name = args.user or _login_name()
        player_id = await service.find_player(*TERMINAL, name)
        if player_id is None:
            print(f"{name} has not played here yet. Start with: lrquiz play")
            return 0
        view = await service.stats(player_id)
        if with_stats:
            streak = await DailyChallenges(service).streak(player_id, *TERMINAL, _local_zone())
            print(render.stats(view, streak))
        else:
            print(render.badges(view.badges))
    finally:
        await service.db.close()
    return 0


def _local_zone() -> str:
    """This machine's IANA zone for terminal streaks ($TZ, /etc/timezone), else UTC."""
    from bot.engine.schedule import ScheduleError, parse_timezone

    for candidate in (os.environ.get("TZ", ""), _read("/etc/timezone")):
        with contextlib.suppress(ScheduleError):
            return parse_timezone(candidate.strip().lstrip(":"))
    return "UTC"


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


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
