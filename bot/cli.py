"""The `lrquiz` console script. Every failure is one line on stderr and a non-zero exit."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import importlib
import os
import sqlite3
import sys
from collections.abc import Sequence

from dotenv import load_dotenv

from bot.engine.modes import MODES
from bot.engine.periods import PERIODS
from problems.errors import PackError
from storage.errors import StorageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrquiz",
        description="Timed PyTorch quizzes on learning-rate differentials.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    play = commands.add_parser("play", help="play in this terminal (answers from stdin)")
    play.add_argument(
        "--mode", choices=MODES, default=None, help="default: challenge (timed, 2:00 a question)"
    )
    play.add_argument(
        "--user", default=None, type=_user_name, help="player name (default: your login name)"
    )
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
        "--resume",
        action="store_true",
        help="continue your unfinished run (of --mode, if given) instead of starting one",
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
    board.add_argument("--user", default=None, type=_user_name, help="whose rank to show")
    board.set_defaults(func=_leaderboard)

    for name, func, text in (
        ("stats", _stats, "your record: accuracy by kind and difficulty, points, streak, badges"),
        ("badges", _badges, "the badges you have earned"),
        ("suggest", _suggest, "today's problems picked for you (play: --mode suggested)"),
    ):
        record = commands.add_parser(name, help=text)
        record.add_argument(
            "--user", default=None, type=_user_name, help="player name (default: login name)"
        )
        record.add_argument("--db", default=None)
        record.set_defaults(func=func)

    from problems.cli import register as register_problems

    register_problems(commands)
    from bot.web.cli import register as register_web

    register_web(commands)
    from bot.learning_cli import register_ratings
    from bot.terminal.snippet_cli import register as register_snippets

    register_ratings(commands)
    from bot.db_cli import register as register_db

    register_db(commands)
    register_snippets(commands)
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
    except BrokenPipeError:
        return _reader_went_away()
    except ModuleNotFoundError as error:
        extra = EXTRAS.get((error.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"lrquiz: error: {missing_extra(extra)}", file=sys.stderr)
        return 1
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


# Optional parts of the install, by the module that is missing without them.
EXTRAS = {
    "discord": "discord",
    "slack_bolt": "slack",
    "slack_sdk": "slack",
    "torch": "runner",
    "numpy": "runner",
}


def missing_extra(extra: str) -> str:
    """How to add an optional part: from the checkout lrquiz was installed from."""
    return (
        f"this needs lrquiz's optional {extra!r} part; from your lrquiz checkout run: "
        f'pip install -e ".[{extra}]"'
    )


def _reader_went_away() -> int:
    """`lrquiz leaderboard | head`: the reader left; stop quietly, as Unix tools do."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit-time flush cannot fail again
    return 141


def _first_line(error: BaseException) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def _user_name(text: str) -> str:
    """A player name must have something visible in it."""
    name = " ".join(text.split())
    if not name or not name.isprintable():
        raise argparse.ArgumentTypeError(f"not a usable player name: {text!r}")
    return name


def _play(args: argparse.Namespace) -> int:
    from bot.terminal.app import PlayRequest, play

    if args.daily and (args.mode is not None or args.resume):
        flag = "--mode" if args.mode is not None else "--resume"
        raise ValueError(
            f"--daily and {flag} do not go together: the daily challenge has its own rules "
            "(5 timed questions) and resumes an unfinished run by itself"
        )
    request = PlayRequest(
        user=args.user or _login_name(),
        mode=args.mode or "challenge",
        mode_given=args.mode is not None,
        db=args.db,
        packs=args.packs,
        pack=args.pack,
        runner=args.runner,
        daily=args.daily,
        resume=args.resume,
        timezone=_local_zone(),
    )
    return _run_game(play(request))


def _run_game(work) -> int:
    """Run the terminal's asyncio work; Ctrl-C at any moment is a quiet exit 130."""
    try:
        return asyncio.run(work)
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return 130


def _login_name() -> str:
    try:
        return _user_name(getpass.getuser())
    except (KeyError, OSError, argparse.ArgumentTypeError):
        return "player"


def _stats(args: argparse.Namespace) -> int:
    from bot.conversation.actions import ShowStats

    return _record(args, ShowStats())


def _badges(args: argparse.Namespace) -> int:
    from bot.conversation.actions import ShowBadges

    return _record(args, ShowBadges())


def _suggest(args: argparse.Namespace) -> int:
    from bot.conversation.actions import ShowSuggestion

    return _record(args, ShowSuggestion())


def _record(args: argparse.Namespace, action, as_json: bool = False) -> int:
    from bot.terminal.app import records

    user = args.user or _login_name()
    return _run_game(records(action, user, args.db, _local_zone(), as_json))


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
    from bot.conversation.actions import ShowLeaderboard

    return _record(args, ShowLeaderboard(args.period), as_json=args.json)


if __name__ == "__main__":
    sys.exit(main())
