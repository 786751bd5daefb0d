"""A reveal's worked answer and a snippet's result are laid out once, in the conversation
layer: the neutral layout holds the parts in order, and Slack, Discord and the terminal each
show every part, in that order, within their own limits."""

from __future__ import annotations

import dataclasses
import io
import re

from rich.console import Console

from bot.conversation import layout as lo
from bot.conversation import screens as sc
from bot.discord import render as discord_render
from bot.engine.live import LiveResults, LiveState
from bot.engine.suggest import Suggestion
from bot.engine.views import RevealView, SummaryView
from bot.real_output import RealOutput
from bot.slack import render as slack_render
from bot.terminal import render as terminal_render
from problems.model import Problem, Solution
from storage.dailies import Daily
from tests.factories import make_pack

PROBLEM = Problem(
    id="groups",
    kind="predict-output",
    difficulty="medium",
    prompt="What does this print?",
    code="print(0.01 * 0.1)",
    choices={"A": "0.001", "B": "0.01", "C": "0.1", "D": "1.0"},
    answer="A",
    hint="multiply",
    solution=Solution(
        steps=("The head's rate is 0.01.", "The backbone gets a tenth of it."),
        final="0.001 for the backbone",
        quick_check="0.01 / 10 = 0.001",
        common_mistakes=("Reading the head's rate", "Dividing twice"),
    ),
)
REAL = RealOutput(True, stdout="0.001\n", status="ok", torch_version="2.13.0")
REVEAL = RevealView("s1", 0, 5, PROBLEM, "wrong", ("B", "C"), 0, False, False)

# The solution's parts, in the order a reader meets them.
WORKED = [
    "Answer: A.",
    "You answered B, C.",
    "Real output (PyTorch 2.13.0)",
    "0.001",
    "Solution",
    "The head's rate is 0.01.",
    "The backbone gets a tenth of it.",
    "Final answer",
    "0.001 for the backbone",
    "Quick check",
    "0.01 / 10 = 0.001",
    "Common mistakes",
    "Reading the head's rate",
    "Dividing twice",
]

STDOUT = "x" * 9000  # longer than every platform's room for it
STDERR = "Traceback (most recent call last):\n" + "  frame\n" * 600 + "ValueError: boom"
RESULT = sc.SnippetResultScreen(
    title="Edit & run · Question 1",
    outcome=sc.SnippetOutcome(
        True, "error", STDOUT, STDERR, 38.0, truncated=True, torch_version="2.13.0"
    ),
    original=RealOutput(True, stdout="0.001\n", status="ok", torch_version="2.13.0"),
    from_question=True,
)
RESULT_ORDER = [
    "Original output",
    "0.001",
    "Your run",
    "❌ raised an error in 38 ms · PyTorch 2.13.0",
    "stdout",
    "xxxx",
    "more characters not shown",  # stdout keeps its start...
    "stderr",
    "more characters not shown",  # ...a traceback its end, where the error is
    "ValueError: boom",
    sc.RUNNER_CAPPED,
]


def words(layout: lo.Layout) -> list[str]:
    """Every piece's own words, in the layout's order."""
    out: list[str] = []
    for section in layout:
        for piece in section:
            if isinstance(piece, lo.Heading | lo.Aside):
                out.append(piece.text)
            elif isinstance(piece, lo.Line):
                out.append(piece.text.plain())
            elif isinstance(piece, lo.Field):
                out += [piece.label, piece.text.plain()]
            elif isinstance(piece, lo.Items):
                out += [piece.caption] if piece.caption else []
                out += [entry.plain() for _, entry in piece.marked()]
            else:
                out += [piece.caption, piece.missing or piece.text]
    return out


def assert_in_order(shown: str, expected: list[str]) -> None:
    at = 0
    for part in expected:
        found = shown.find(part, at)
        assert found >= 0, f"{part!r} missing after position {at}:\n{shown}"
        at = found + len(part)


def slack_text(blocks: list[dict]) -> str:
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return "\n".join(texts)


def terminal_text(renderable: object) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_the_worked_answer_is_laid_out_once_in_order() -> None:
    layout = lo.worked_answer(PROBLEM, REAL, tried=REVEAL.tried)
    assert [w for w in words(layout) if w] == [
        "Answer: A. 0.001",
        "You answered B, C.",
        "Real output (PyTorch 2.13.0)",
        "0.001",
        "Solution",
        *PROBLEM.solution.steps,
        "Final answer",
        "0.001 for the backbone",
        "Quick check",
        "0.01 / 10 = 0.001",
        "Common mistakes",
        *PROBLEM.solution.common_mistakes,
    ]
    # Nothing to run: no output part; still running: said in its place.
    plain = dataclasses.replace(PROBLEM, kind="conceptual", code=None)
    assert [s[0] for s in lo.worked_answer(plain)][1:] == [lo.Heading("Solution")]
    assert lo.worked_answer(PROBLEM, pending=True)[1] == (lo.Aside(sc.RUNNING),)


def test_every_platform_shows_the_worked_answer_in_that_order() -> None:
    screen = sc.RunScreen("s1", reveal=REVEAL, real=REAL)
    slack = slack_text(slack_render.render(screen, now=0.0).blocks)
    discord = discord_render.render(screen).embeds[0].description or ""
    terminal = terminal_text(terminal_render.run(screen, 0.0))
    for shown in (slack, discord, terminal):
        assert_in_order(shown, WORKED)
    # Each in its own syntax: bold labels, numbered steps, bullets, a code block.
    assert "*Final answer:* 0.001 for the backbone" in slack and "\n2. The backbone" in slack
    assert "**Final answer:** 0.001" in discord and "\n• Dividing twice" in discord
    assert "```text\n0.001\n```" in discord
    assert "  Final answer: 0.001" in terminal and "    • Dividing twice" in terminal
    assert "Real output (PyTorch 2.13.0):\n    │ 0.001" in terminal


def test_a_live_question_closes_with_the_same_worked_answer() -> None:
    state = LiveState("L1", "pack", PROBLEM.id, 0.0, 60.0, closed_at=60.0)
    results = LiveResults("A", {"A": 2, "B": 1, "C": 0, "D": 0}, 3, 2, None)
    screen = sc.LiveClosedScreen(state, PROBLEM, results, None, REAL)
    slack = slack_text(slack_render.render(screen, now=0.0).blocks)
    discord = discord_render.render(screen).embeds[0].description or ""
    worked = [w for w in WORKED if not w.startswith("You answered")]
    for shown in (slack, discord):
        assert_in_order(shown, worked)
    assert_in_order(slack, ["Answer: A.", "A: 2 · B: 1", "Real output"])


def test_a_snippet_result_is_laid_out_once_in_order() -> None:
    parts = [w for w in words(lo.snippet_result(RESULT)) if w]
    assert parts[:5] == ["Original output", "0.001", "Your run", RESULT_ORDER[3], "stdout"]
    assert parts[-3:] == ["stderr", STDERR, sc.RUNNER_CAPPED]
    refused = dataclasses.replace(RESULT, outcome=sc.SnippetOutcome(False, reason="no runner"))
    assert words(lo.snippet_result(refused))[2:] == [sc.NOT_RUN, "no runner."]


def test_every_platform_shows_the_snippet_result_in_that_order_within_its_limits() -> None:
    slack_blocks = slack_render.result_blocks(RESULT)
    slack = slack_text(slack_blocks)
    embed = discord_render.render(RESULT).embeds[0]
    discord = embed.description or ""
    terminal = terminal_text(terminal_render.snippet_result(RESULT))
    for shown in (slack, discord, terminal):
        assert_in_order(shown, RESULT_ORDER)
    assert len(slack_blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in slack_blocks if "text" in b)
    assert len(discord) <= 4096 and len(embed) <= 6000
    assert len(re.findall("```", discord)) % 2 == 0
    for shown in (slack, discord, terminal):
        stderr = shown[shown.index("stderr") :]
        assert "Traceback" not in stderr and "ValueError: boom" in stderr


def test_the_end_of_a_run_and_the_daily_card_read_the_same_everywhere() -> None:
    pack = make_pack()
    badge = pack.badges[0]
    end = SummaryView("s1", "challenge", pack.title, 5, 5, 120, True, (), (badge,), True)
    ending = [
        "Challenge finished",
        "Score",
        "5/5 correct",
        "Points",
        "120",
        "Badge earned: ",
        badge.name,
        badge.description,
    ]
    slack = slack_text(slack_render.summary(end).blocks)
    embed = discord_render.summary(end)
    terminal = terminal_text(terminal_render.summary(end))
    for shown in (slack, f"{embed.title}\n{embed.description}", terminal):
        assert_in_order(shown, ending)
    unscored = dataclasses.replace(end, scored=False, badges=(), completed=False)
    assert [w for w in words(lo.summary(unscored))] == ["Score", "5/5 correct"]

    problems = pack.problems[:3]
    daily = Daily("d1", "slack", "T1", "C1", "2026-12-02", "UTC", pack.id,
                  tuple(p.id for p in problems), 0, None, 0.0, 86_400.0, None)  # fmt: skip
    rules = lo.daily_rules(problems)
    assert rules == (
        "⏱ 2:00 per question · 2 attempts · 💡 hints (halve the points) · one run per member"
    )
    card = sc.DailyCardScreen(daily, pack)
    slack = slack_text(slack_render.render(card, now=0.0).blocks)
    fields = {f.name: f.value for f in discord_render.render(card).embeds[0].fields}
    for shown, mark in ((slack, "{}. "), (fields["Problems"], "`{}.` ")):
        listed = [mark.format(n) + lo.problem_heading(p) for n, p in enumerate(problems, 1)]
        assert_in_order(shown, listed)
    assert rules in slack and fields["🎯 Rules"] == rules


def test_help_lists_the_same_commands_in_the_same_order_on_both_chat_platforms() -> None:
    listed: list[str] = []
    for title, group in lo.COMMANDS:
        listed += [title, *(f"/lrquiz {name}` — {what}" for name, what in group)]
    assert "/lrquiz dashboard` — " in "".join(listed)  # Discord's help used to leave it out
    slack = slack_text(slack_render.render(sc.HelpScreen(sc.rich("Unknown command")), 0).blocks)
    discord = discord_render.render(sc.HelpScreen()).embeds[0].description or ""
    for shown in (slack.replace("&amp;", "&"), discord):
        assert_in_order(shown, listed)
    assert slack.startswith("Unknown command")
    assert "Admin" not in slack
    assert "/lrquiz admin snippets on|off" in slack_text(
        slack_render.render(sc.HelpScreen(admin=True), 0).blocks
    )


def test_a_repeat_says_why_it_scored_nothing_on_every_platform() -> None:
    again = dataclasses.replace(REVEAL, outcome="correct", tried=("A",), repeat=True)
    said = lo.outcome(again)
    assert said == "✅ Correct! (no points: you already scored this problem this week)"
    screen = sc.RunScreen("s1", reveal=again, real=REAL)
    slack = slack_text(slack_render.render(screen, now=0.0).blocks)
    discord = discord_render.render(screen).embeds[0].title or ""
    terminal = terminal_text(terminal_render.run(screen, 0.0))
    for shown in (slack, discord, terminal):
        assert said in shown


def test_todays_suggestions_say_why_and_the_rules_alike() -> None:
    pack = make_pack()
    picks = (
        (pack.problems[0], Suggestion(pack.problems[0].id, "weakest", "freezing", 0.42)),
        (pack.problems[1], Suggestion(pack.problems[1].id, "review", "layer decay", 0.8)),
    )
    screen = sc.SuggestionScreen("2026-12-02", pack, picks, "new")
    reasons = [lo.why_suggested(why) for _, why in picks]
    assert reasons == [
        "🎯 your weakest topic (freezing, 42% predicted)",
        "🔁 due for review (layer decay, 80% predicted)",
    ]
    assert lo.SUGGESTION_RULES.startswith("untimed · 1 attempt · 💡 hints · no points")
    slack = slack_text(slack_render.render(screen, now=0.0).blocks)
    embed = discord_render.render(screen).embeds[0]
    terminal = terminal_text(terminal_render.suggestion(screen))
    for shown in (slack, embed.description or "", terminal):
        assert_in_order(shown, reasons)
    assert lo.SUGGESTION_RULES in slack and embed.footer.text == lo.SUGGESTION_RULES
