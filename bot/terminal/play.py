"""The terminal game loop: render views, read letters, call the game service."""

from __future__ import annotations

from typing import TextIO

from bot.dailies import DailyChallenges
from bot.engine.errors import GameError, QuestionClosed
from bot.engine.modes import rules_for
from bot.engine.state import SessionState
from bot.engine.views import question_view, reveal_view, summary_view
from bot.real_output import Runner, fetch_real_output
from bot.service import GameService

from . import render
from .input import LineReader

HELP = "Type A, B, C or D to answer, h for a hint, q to quit."
# The terminal's daily challenges live in one pseudo-channel per database.
TERMINAL_CHANNEL = ("terminal", "local", "terminal")


class TerminalGame:
    """One player's run in a terminal; stdin may be a pipe, so a script can play it."""

    def __init__(
        self,
        service: GameService,
        player_id: int,
        out: TextIO,
        reader: LineReader,
        runner: Runner | None = None,
        interactive: bool = False,
    ) -> None:
        self.service = service
        self.player_id = player_id
        self.out = out
        self.reader = reader
        self.runner = runner
        self.interactive = interactive

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def play(self, mode: str, pack_id: str | None = None) -> SessionState:
        pack = self.service.pack(pack_id)
        if rules_for(mode).show_summary_first:
            self.say(render.learn_intro(pack))
        return await self.run(await self.service.start(self.player_id, mode, pack.id))

    async def play_daily(self, timezone: str, pack_id: str | None = None) -> SessionState | None:
        """Today's daily challenge for this database: once a day, and it builds a streak."""
        dailies = DailyChallenges(self.service)
        posting = await dailies.post(*TERMINAL_CHANNEL, timezone, pack_id)
        try:
            session = await dailies.start(posting.daily.id, self.player_id)
        except GameError as error:
            self.say(str(error))
            return None
        self.say(f"📅 Daily challenge for {posting.daily.local_date}")
        session = await self.run(session)
        days = await dailies.streak(self.player_id, *TERMINAL_CHANNEL[:2], timezone)
        self.say(f"🔥 Daily streak: {days} day{'s' if days != 1 else ''}")
        return session

    async def run(self, session: SessionState) -> SessionState:
        """Ask each question of a started run, then show the summary."""
        if session.current is not None and not session.current.is_open:
            session = await self.service.advance(session.id, self.player_id)
        while not session.is_finished:
            session, quit_requested = await self._ask(session)
            if quit_requested or session.is_finished:
                break
            if self.interactive and not await self._continue():
                session = await self.service.quit(session.id, self.player_id)
                break
            session = await self.service.advance(session.id, self.player_id)
        self.say(render.summary(summary_view(session, self.service.pack(session.pack_id))))
        return session

    async def _ask(self, session: SessionState) -> tuple[SessionState, bool]:
        """Run one question until it closes; True when the player quit."""
        pack = self.service.pack(session.pack_id)
        view = question_view(session, pack)
        self.say(render.question(view, self.service.clock.now()))
        while True:
            view = question_view(session, pack)
            timeout = view.seconds_left(self.service.clock.now())
            try:
                line = await self.reader.readline(timeout)
            except TimeoutError:
                session = await self.service.expire(session.id)
                break
            if line is None or line.strip().lower() in ("q", "quit"):
                return await self.service.quit(session.id, self.player_id), True
            command = line.strip().lower()
            try:
                if command in ("h", "hint"):
                    session, text = await self.service.hint(session.id, self.player_id)
                    self.say(render.hint(text))
                elif command in ("a", "b", "c", "d"):
                    session, result = await self.service.answer(session.id, self.player_id, command)
                    if result.closed:
                        break
                    self.say(render.wrong(question_view(session, pack)))
                elif command:
                    self.say(HELP)
            except QuestionClosed as closed:
                self.say(str(closed))
                session = await self.service.session(session.id)
                break
            except GameError as error:
                self.say(str(error))
        real = await fetch_real_output(self.runner, pack.problem(session.questions[-1].problem_id))
        self.say(render.reveal(reveal_view(session, pack), real))
        return session, False

    async def _continue(self) -> bool:
        self.say("\nPress Enter for the next question (q to quit).")
        line = await self.reader.readline()
        return line is not None and line.strip().lower() not in ("q", "quit")
