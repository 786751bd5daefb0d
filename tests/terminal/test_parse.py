"""The terminal's parser: what a typed line means under the screen on show."""

from __future__ import annotations

import pytest

from bot.conversation.actions import Answer, BadInput, Hint, Next, Quit
from bot.engine.views import QuestionView
from bot.terminal import parse
from problems.loader import default_pack


def view() -> QuestionView:
    problem = default_pack().problems[0]
    return QuestionView("s1", "challenge", 2, 5, problem, None, 2, 2, (), False, True)


@pytest.mark.parametrize(
    ("line", "action"),
    [
        ("b", Answer("s1", 2, "B")),
        ("  D ", Answer("s1", 2, "D")),
        ("h", Hint("s1", 2)),
        ("HINT", Hint("s1", 2)),
        ("q", Quit("s1")),
        ("quit", Quit("s1")),
        ("exit", Quit("s1")),
    ],
)
def test_lines_under_a_question(line: str, action: object):
    assert parse.question_line(line, view()) == action


@pytest.mark.parametrize("line", ["e", "42", "ab", "next"])
def test_anything_else_under_a_question_is_help(line: str):
    assert parse.question_line(line, view()) == BadInput(parse.HELP)


def test_a_blank_line_under_a_question_does_nothing():
    assert isinstance(parse.question_line("   ", view()), parse.Ignore)


@pytest.mark.parametrize(("line", "action"), [("", Next("s1")), ("n", Next("s1")),
                                              ("q", Quit("s1"))])  # fmt: skip
def test_lines_under_a_reveal(line: str, action: object):
    assert parse.reveal_line(line, "s1") == action


def test_the_terminal_actor_has_no_workspace_and_no_delivery_ids():
    actor = parse.actor("ann")
    assert (actor.platform, actor.workspace, actor.user_id, actor.is_admin) == (
        "terminal", "local", "ann", False,
    )  # fmt: skip
    assert parse.envelope(actor, Next("s1")).key is None
