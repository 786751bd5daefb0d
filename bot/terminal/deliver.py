"""Screens onto the terminal: the terminal's deliverer (its Replier and its Platform).

A terminal cannot edit what it printed, so "replace this message" becomes: on a player's
terminal, clear the screen and draw the new one at the top (a reveal taller than the
window is shown a page at a time, so the verdict is never pushed off); on a pipe, print
only what changed (a wrong answer's note, the hint, the status line), never redraw.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace as copy_with

from rich.console import Console, RenderableType
from rich.text import Text

from bot.conversation.actions import Actor
from bot.conversation.ports import DeliveryFailed
from bot.conversation.screens import (
    EditorScreen,
    Rich,
    RunScreen,
    Screen,
    SnippetRefused,
    SnippetResultScreen,
    rich,
)
from bot.engine.views import QuestionView
from storage.refs import MessageRef

from . import render
from .input import Reader

MORE = "── more: Enter · s: skip ── "
START = "Press Enter to start question 1 ▶ "


def console_for(interactive: bool) -> Console:
    """Colour, width and redraws on a terminal; plain text at 80 columns on a pipe."""
    if interactive:
        return Console(highlight=False, emoji=False, markup=False)
    return Console(
        highlight=False, emoji=False, markup=False, color_system=None, force_terminal=False,
        force_interactive=False, soft_wrap=False,
    )  # fmt: skip


def lines_of(console: Console, renderable: RenderableType) -> list[str]:
    """What `renderable` prints, line by line, without the padding rich adds at the end."""
    with console.capture() as captured:
        console.print(renderable)
    return [line.rstrip(" ") for line in captured.get().splitlines()]


def emit(console: Console, renderable: RenderableType) -> None:
    write(console, lines_of(console, renderable))


def write(console: Console, lines: list[str]) -> None:
    console.file.write("".join(f"{line}\n" for line in lines))
    console.file.flush()


def same_question(a: QuestionView, b: QuestionView) -> bool:
    return (a.session_id, a.index) == (b.session_id, b.index)


class TerminalPlatform:
    """The terminal has no channels: nothing is posted or edited later, nobody is admin."""

    name = "terminal"

    async def post(self, channel: str, screen: Screen) -> MessageRef:
        raise DeliveryFailed("the terminal has no channels to post in")

    async def edit(self, ref: MessageRef, screen: Screen) -> None:
        raise DeliveryFailed("the terminal cannot edit what it printed")

    async def is_admin(self, actor: Actor) -> bool:
        return False

    async def channel_problem(self, actor: Actor, channel: str) -> Rich | None:
        return rich("The terminal has no channels.")


class TerminalReplier:
    """Shows every screen the conversation sends; remembers the run's latest one, which
    is what the game loop reads to know what the player is looking at."""

    def __init__(
        self, console: Console, reader: Reader, now: Callable[[], float] = time.time
    ) -> None:
        self.console = console
        self.reader = reader
        self.now = now
        self.run: RunScreen | None = None
        # Edit & run: the editor the conversation asked to open, and how the last run went.
        self.editor: EditorScreen | None = None
        self.snippet: SnippetResultScreen | SnippetRefused | None = None
        self._on_screen: QuestionView | None = None  # the question as last drawn
        self._drawn = 0

    @property
    def live(self) -> bool:
        return self.reader.interactive

    async def open_editor(self, editor: EditorScreen) -> None:
        """The game loop opens it ($EDITOR, or lines from a pipe) and submits the code."""
        self.editor = editor

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        if isinstance(screen, SnippetResultScreen | SnippetRefused):
            self.snippet = screen
        if not isinstance(screen, RunScreen):
            emit(self.console, render.screen(screen, self.now()))
            return
        self.run = screen
        if screen.output_pending:
            emit(self.console, Text(render.RUNNING, style="dim"))
            return
        first = self._drawn == 0
        self._drawn += 1
        if screen.intro is not None and self.live:
            await self.paged(render.intro(screen.intro))
            await self.reader.read(START)
            screen = copy_with(screen, intro=None)
            first = False  # the summary has been read: clear it for question 1
        if self.live:
            if not first:  # keep what was said before the run's first screen
                self.console.clear()
            drawn = render.run(screen, self.now(), with_status=False)
            if screen.question is not None:
                emit(self.console, drawn)  # the prompt's toolbar shows the status, live
            else:
                await self.paged(drawn)
        else:
            self.print_changes(screen)
        self._on_screen = screen.question

    def print_changes(self, screen: RunScreen) -> None:
        """On a pipe: the whole screen when it is new, else what changed under it."""
        view, before = screen.question, self._on_screen
        if view is None or before is None or not same_question(view, before):
            emit(self.console, render.run(screen, self.now()))
            return
        asked_again = screen.note is None and before.tried == view.tried
        if view.hint_used and (not before.hint_used or asked_again):
            emit(self.console, render.hint(view))
        if screen.note is not None:
            emit(self.console, render.text_of(screen.note))
        emit(self.console, render.status(view, self.now()))

    async def paged(self, renderable: RenderableType) -> None:
        """Print, a window at a time when it is taller than the window."""
        lines = lines_of(self.console, renderable)
        page = max(5, self.console.size.height - 2)
        if len(lines) <= page + 1:
            write(self.console, lines)
            return
        for start in range(0, len(lines), page):
            write(self.console, lines[start : start + page])
            if start + page >= len(lines):
                return
            answer = await self.reader.read(MORE)
            if answer is None or answer.strip().lower() == "s":
                return
