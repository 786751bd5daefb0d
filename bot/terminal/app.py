"""`lrquiz play`, `stats`, `badges`, `leaderboard` and `run-snippet`: the terminal adapter
wired up.

The parser (parse.py), renderer (render.py) and deliverer (deliver.py) meet the
conversation here, as the Discord and Slack adapters meet it in their clients.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from bot.bootstrap import open_runner, open_service
from bot.conversation.actions import Action, Expire, RunSnippet, StartDaily, StartRun
from bot.conversation.core import Conversation
from bot.conversation.screens import LeaderboardScreen, Screen
from bot.engine.modes import rules_for
from bot.labels import clock_text
from storage.factory import database_exists
from storage.paths import default_db_path

from . import parse, render
from .deliver import TerminalPlatform, TerminalReplier, console_for, emit
from .input import LineReader, Reader, TtyReader
from .play import TerminalGame, Unfinished, unfinished_runs
from .snippets import exit_status, read_source

OFFER = "You have an unfinished {mode} run (question {n} of {total}). Resume it? [Y/n] "


@dataclass(frozen=True)
class PlayRequest:
    user: str
    mode: str
    mode_given: bool
    db: str | None
    packs: list[str] | None
    pack: str | None
    runner: str | None
    daily: bool
    resume: bool
    timezone: str


def is_interactive() -> bool:
    """Live redraws only when a person is at both ends; a pipe on either side is a script."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def default_mode_line(mode: str) -> str:
    rules = rules_for(mode)
    return (
        f"▶ No --mode given: a timed {mode}, the default "
        f"({rules.question_count} questions, {clock_text(120)} each).\n"
        "  Other modes: --mode learn, practice or test."
    )


async def play(request: PlayRequest) -> int:
    service = await open_service(request.db, request.packs, pack_id=request.pack)
    try:
        interactive = is_interactive()
        reader: Reader = TtyReader() if interactive else LineReader()
        console = console_for(interactive)
        player = parse.actor(request.user)
        replier = TerminalReplier(console, reader, service.clock.now)
        async with open_runner(request.runner) as runner:
            conversation = Conversation(
                service, TerminalPlatform(), runner, home_timezone=request.timezone
            )
            game = TerminalGame(conversation, player, replier, reader, daily=request.daily)
            if request.daily:
                await play_daily(game, request)
            else:
                first = await first_action(game, request, interactive)
                await game.play(first)
    finally:
        await service.db.close()
    return 0


async def play_daily(game: TerminalGame, request: PlayRequest) -> None:
    from bot.dailies import DailyChallenges

    service = game.conversation.service
    dailies = DailyChallenges(service)
    posting = await dailies.post(
        parse.PLATFORM, parse.WORKSPACE, parse.CHANNEL, request.timezone, request.pack
    )
    final = await game.play(StartDaily(posting.daily.id))
    if final is not None and final.summary is not None:
        player_id = await service.find_player(parse.PLATFORM, parse.WORKSPACE, request.user)
        if player_id is not None:
            days = await dailies.streak(
                player_id, parse.PLATFORM, parse.WORKSPACE, request.timezone
            )
            emit(game.replier.console, render.streak(days))


async def first_action(game: TerminalGame, request: PlayRequest, interactive: bool) -> Action:
    """A new run, or an unfinished one: asked for (--resume) or offered on a terminal."""
    service = game.conversation.service
    runs = await service.db.run(lambda conn: unfinished_runs(conn, game.player))
    if request.mode_given or not request.resume:
        runs = [r for r in runs if r.mode == request.mode]
    if request.resume:
        if not runs:
            raise ValueError(
                f"{request.user} has no unfinished run to resume; start one with: lrquiz play"
            )
        return resuming(game, runs[0])
    if interactive and runs:
        answer = await game.reader.read(
            OFFER.format(mode=runs[0].mode, n=runs[0].asked, total=runs[0].total)
        )
        if answer is None or answer.strip().lower() in ("", "y", "yes"):
            return resuming(game, runs[0])
        await game.end_quietly(runs[0].session_id)
    if not request.mode_given:
        game.say(default_mode_line(request.mode))
    return StartRun(request.mode, request.pack)


def resuming(game: TerminalGame, run: Unfinished) -> Expire:
    game.say(f"▶ Resuming your {run.mode} run at question {run.asked} of {run.total}.")
    # Expire closes the open question if its time ran out meanwhile, and shows the run.
    return Expire(run.session_id)


class Collect:
    """A replier that keeps the screens, for output chosen after the fact (--json)."""

    def __init__(self) -> None:
        self.screens: list[Screen] = []

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        self.screens.append(screen)


async def records(
    action: Action, user: str, db: str | None, timezone: str, as_json: bool = False
) -> int:
    """stats, badges and leaderboard: reads only, so no database file is created for them."""
    path = db if db is not None else str(default_db_path())
    if path.strip() and not database_exists(path):
        path = ":memory:"  # not created yet: it reads as empty, and stays uncreated
    service = await open_service(path)
    try:
        conversation = Conversation(service, TerminalPlatform(), None, home_timezone=timezone)
        shown = Collect()
        await conversation.handle(parse.envelope(parse.actor(user), action), shown)
    finally:
        await service.db.close()
    console = console_for(sys.stdout.isatty())
    for screen in shown.screens:
        if as_json and isinstance(screen, LeaderboardScreen):
            print(json.dumps(render.board_json(screen), indent=2))
        else:
            emit(console, render.screen(screen, service.clock.now()))
    return 0


async def run_snippet(source: str, user: str, db: str | None, runner: str | None) -> int:
    """`lrquiz run-snippet FILE|-`: one snippet through the same sandbox, limits and run
    log as Edit & run in chat; the exit status says how it ended (snippets.exit_status)."""
    code = read_source(source)  # a bad file is named before any database is opened
    service = await open_service(db)
    try:
        replier = TerminalReplier(console_for(sys.stdout.isatty()), LineReader(), service.clock.now)
        async with open_runner(runner) as client:
            conversation = Conversation(service, TerminalPlatform(), client)
            envelope = parse.envelope(parse.actor(user), RunSnippet(code))
            await conversation.handle(envelope, replier)
    finally:
        await service.db.close()
    return exit_status(replier.snippet)
