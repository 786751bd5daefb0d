"""The terminal game loop: read a line against the screen on show, send it as an action.

Chat platforms push events; a terminal is a loop. Each turn looks at the run screen the
conversation last showed, reads one line (or waits for the question's deadline, which the
terminal enforces itself by sending `Expire` when its countdown ends), parses it into an
action and hands it to the conversation, which decides and shows the next screen.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass

from rich.text import Text

from bot.conversation.actions import Action, Actor, EditSnippet, Expire, Next, Quit
from bot.conversation.core import Conversation
from bot.conversation.screens import RunScreen, Screen
from bot.engine.views import QuestionView

from . import parse, render
from .deliver import TerminalReplier, emit
from .input import LineReader, Reader
from .snippets import edit_and_run

ANSWER = "› "
NEXT = "Enter ▶ next question · q quit › "
NEXT_OR_EDIT = "Enter ▶ next question · e edit & run · q quit › "
DONE_OR_EDIT = "e edit & run the code · Enter to finish › "
# On a pipe an `e` under a reveal is taken only if it is already there (or comes this
# soon): a script feeding one line per question never waits for it.
PIPED_EDIT_WAIT_S = 0.05
GIVE_UP = "Give up today's daily challenge? You cannot play it again today. [y/N] "
URGENT_S = 10


@dataclass(frozen=True)
class Unfinished:
    """A run the player left without finishing (Ctrl-C, a closed terminal)."""

    session_id: str
    mode: str
    asked: int
    total: int


def unfinished_runs(conn: sqlite3.Connection, player: Actor) -> list[Unfinished]:
    """The player's unfinished runs, newest first; daily runs resume through --daily."""
    rows = conn.execute(
        "SELECT s.id, s.mode, s.problem_ids, "
        "(SELECT count(*) FROM questions q WHERE q.session_id = s.id) "
        "FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE u.platform = ? AND u.workspace = ? AND u.external_id = ? "
        "AND s.finished_at IS NULL "
        "AND s.id NOT IN (SELECT session_id FROM daily_entries) "
        "ORDER BY s.started_at DESC",
        (player.platform, player.workspace, player.user_id),
    ).fetchall()
    return [Unfinished(sid, mode, asked, len(json.loads(ids))) for sid, mode, ids, asked in rows]


class Quiet:
    """A replier that shows nothing: for ending an old run the player chose not to resume."""

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        return None


class TerminalGame:
    """One player's run in a terminal; stdin may be a pipe, so a script can play it."""

    def __init__(
        self,
        conversation: Conversation,
        player: Actor,
        replier: TerminalReplier,
        reader: Reader,
        daily: bool = False,
    ) -> None:
        self.conversation = conversation
        self.player = player
        self.replier = replier
        self.reader = reader
        self.daily = daily
        self._stopped = False

    def say(self, text: str, style: str = "") -> None:
        emit(self.replier.console, Text(text, style=style))

    async def send(self, action: Action) -> None:
        await self.conversation.handle(parse.envelope(self.player, action), self.replier)

    async def end_quietly(self, session_id: str) -> None:
        envelope = parse.envelope(self.player, Quit(session_id))
        await self.conversation.handle(envelope, Quiet())

    async def play(self, first: Action) -> RunScreen | None:
        """Send `first` (a start, a daily start, a resume) and play until the run ends;
        the final run screen, or None when no run was shown (say, already played today)."""
        try:
            await self.send(first)
            return await self.loop()
        except (KeyboardInterrupt, asyncio.CancelledError):
            if self.replier.run is not None and self.replier.run.summary is None:
                self.say("")
                self.say(self.kept(), "yellow")
            raise

    def kept(self) -> str:
        again = "lrquiz play --daily" if self.daily else "lrquiz play --resume"
        return f"⏸ Stopped. Your run is saved; continue it with: {again}"

    async def loop(self) -> RunScreen | None:
        while not self._stopped:
            screen = self.replier.run
            if screen is None or screen.summary is not None:
                if screen is not None:
                    await self.offer_last_edit(screen)
                return screen
            if screen.question is not None:
                await self.on_question(screen.question)
            else:
                await self.on_reveal(screen.session_id)
        return self.replier.run

    @staticmethod
    def editable(screen: RunScreen | None) -> EditSnippet | None:
        """Edit & run for a reveal of a question with code."""
        reveal = screen.reveal if screen is not None else None
        if reveal is None or not reveal.problem.code:
            return None
        return EditSnippet(reveal.session_id, reveal.index)

    async def edit(self, action: EditSnippet) -> None:
        """Edit & run; the run stays at its reveal, so Next (or e again) follows."""
        await edit_and_run(self.conversation, self.player, self.replier, self.reader, action,
                           self.say)  # fmt: skip

    async def piped_edit(self, action: EditSnippet | None) -> bool:
        """On a pipe: an `e` line waiting under a reveal edits and runs (code from stdin)."""
        if action is None or not isinstance(self.reader, LineReader):
            return False
        if await self.reader.take_if(parse.is_edit, PIPED_EDIT_WAIT_S) is None:
            return False
        await self.edit(action)
        return True

    async def offer_last_edit(self, screen: RunScreen) -> None:
        """After the last reveal: Edit & run once more before the game ends."""
        action = self.editable(screen)
        if action is None or self._stopped:
            return
        if not self.reader.interactive:
            while await self.piped_edit(action):
                pass
            return
        while True:
            line = await self.reader.read(DONE_OR_EDIT)
            if line is None or not parse.is_edit(line):
                return
            await self.edit(action)

    async def on_question(self, view: QuestionView) -> None:
        try:
            line = await self.reader.read(ANSWER, view.deadline, lambda: self.toolbar(view))
            if line is None:
                await self.on_end_of_input(view.session_id)
                return
            action = parse.question_line(line, view)
            if isinstance(action, parse.Ignore):
                return
            if isinstance(action, Quit) and not await self.may_quit(view.deadline):
                return
        except TimeoutError:
            action = Expire(view.session_id)
        await self.send(action)

    async def on_reveal(self, session_id: str) -> None:
        edit = self.editable(self.replier.run)
        if not self.reader.interactive:
            if not await self.piped_edit(edit):
                await self.send(Next(session_id))
            return
        line = await self.reader.read(NEXT if edit is None else NEXT_OR_EDIT)
        if line is None:
            await self.on_end_of_input(session_id)
            return
        action = parse.reveal_line(line, session_id, edit.index if edit else None)
        if isinstance(action, Quit) and not await self.may_quit(None):
            return
        if isinstance(action, EditSnippet):
            await self.edit(action)
            return
        await self.send(action)

    async def may_quit(self, deadline: float | None) -> bool:
        """Quitting a daily gives up the day, so ask first; other runs just end."""
        if not self.daily:
            return True
        if not self.reader.interactive:  # a pipe has no prompt line: say it
            self.say(GIVE_UP.rstrip())
        answer = await self.reader.read(GIVE_UP, deadline)
        return answer is None or parse.is_yes(answer)

    async def on_end_of_input(self, session_id: str) -> None:
        """Input ended: a daily is kept for later (it can be played once), others end."""
        if self.daily:
            self._stopped = True
            self.say(self.kept(), "yellow")
            return
        await self.send(Quit(session_id))

    def toolbar(self, view: QuestionView) -> list[tuple[str, str]]:
        """The live status under the prompt, recomputed at every redraw."""
        now = self.replier.now()
        text = render.status(view, now).plain
        left = view.seconds_left(now)
        style = "bg:ansired fg:ansiwhite bold" if left is not None and left <= URGENT_S else ""
        return [(style, f" {text} ")]
