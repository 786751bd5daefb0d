"""Typed lines as conversation actions: the terminal's parser.

What a line means depends on what is on the screen: a letter answers the open question,
Enter moves past a reveal. The terminal has one player per process, no workspace and no
delivery ids (nothing redelivers a typed line).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.actions import (
    Action,
    Actor,
    Answer,
    BadInput,
    EditSnippet,
    Envelope,
    Hint,
    Next,
    Quit,
)
from bot.engine.views import QuestionView

from .render import HELP

PLATFORM = "terminal"
WORKSPACE = "local"
# The terminal's daily challenges live in one pseudo-channel per database.
CHANNEL = "terminal"
LETTERS = ("a", "b", "c", "d")
QUIT_WORDS = ("q", "quit", "exit")


def actor(name: str) -> Actor:
    return Actor(PLATFORM, WORKSPACE, name, name, channel=CHANNEL, is_admin=False)


def envelope(player: Actor, action: Action) -> Envelope:
    return Envelope(player, action, key=None)


@dataclass(frozen=True)
class Ignore:
    """A blank line while a question is open: nothing to do, nothing to say."""


def question_line(line: str, view: QuestionView) -> Action | Ignore:
    """A line typed while `view` is open: an answer, the hint, quitting, or help."""
    command = line.strip().lower()
    if not command:
        return Ignore()
    if command in LETTERS:
        return Answer(view.session_id, view.index, command.upper())
    if command in ("h", "hint"):
        return Hint(view.session_id, view.index)
    if command in QUIT_WORDS:
        return Quit(view.session_id)
    return BadInput(HELP)


EDIT_WORDS = ("e", "edit")


def reveal_line(line: str, session_id: str, index: int | None = None) -> Action:
    """A line typed under a reveal: Enter (or n) for the next question, q to stop, e to
    edit and run the question's code (`index` given when it has code)."""
    command = line.strip().lower()
    if command in QUIT_WORDS:
        return Quit(session_id)
    if command in EDIT_WORDS and index is not None:
        return EditSnippet(session_id, index)
    return Next(session_id)


def is_edit(line: str) -> bool:
    return line.strip().lower() in EDIT_WORDS


def is_yes(line: str | None) -> bool:
    return line is not None and line.strip().lower() in ("y", "yes")
