"""Neutral screens as Slack Block Kit messages: `render(screen)` draws every one.

Pure functions: no Slack calls and no game rules. Everything that comes from a pack, a
player or the runner is escaped (`&`, `<`, `>`) so PyTorch output such as
``<class 'torch.Tensor'>`` shows intact; only tokens built here (mentions, channel links,
date tokens) stay unescaped. Slack caps a section at 3000 characters, so long text is split.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.conversation import layout as lo
from bot.conversation import screens as sc
from bot.engine.views import QuestionView, RevealView, SummaryView
from bot.labels import (
    KIND_LABELS,
    clock_text,
)
from bot.real_output import RealOutput
from problems.model import Pack, Problem
from storage.dailies import Daily

from . import ids

Block = dict[str, Any]
SECTION_LIMIT = 3000
FALLBACK_LIMIT = 300


@dataclass(frozen=True)
class Message:
    """A message body: `text` is the notification fallback, mrkdwn like the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    # False for messages holding what a learner's code printed: no link previews.
    unfurl: bool = True

    def payload(self, **extra: Any) -> dict[str, Any]:
        body = {"text": self.text[:FALLBACK_LIMIT], "blocks": self.blocks, **extra}
        if not self.unfurl:
            body.update(unfurl_links=False, unfurl_media=False)
        return body


# --- text helpers ---------------------------------------------------------------------


def esc(text: str) -> str:
    """Slack's three control characters, as its docs ask; everything else is literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def defuse(text: str) -> str:
    """No two backticks in a row (a zero-width space between): however many backticks the
    code holds, none can end the block early."""
    return re.sub(r"`(?=`)", "`\u200b", text)


def date_token(ts: float, fmt: str = "{time_secs}") -> str:
    """A Slack date token: each reader sees the time in their own timezone."""
    fallback = time.strftime("%H:%M:%S UTC", time.gmtime(ts))
    return f"<!date^{int(ts)}^{fmt}|{fallback}>"


def mention(user_id: str) -> str:
    return f"<@{user_id}>"


def channel_link(channel_id: str) -> str:
    return f"<#{channel_id}>"


def _split(text: str, limit: int) -> list[str]:
    """Split on line boundaries into pieces of at most `limit` characters."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single enormous line: hard cut
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def sections(text: str) -> list[Block]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in _split(text, SECTION_LIMIT)
        if piece.strip()
    ]


def code_sections(code: str) -> list[Block]:
    """A code block, split into several blocks of its own when it is too long for one."""
    room = SECTION_LIMIT - 16
    escaped = defuse(esc(code.rstrip("\n"))) or " "
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": "```\n" + piece + "\n```"}}
        for piece in _split(escaped, room)
    ]


def context(*parts: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": p} for p in parts][:10]}


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(buttons: Sequence[dict[str, Any]]) -> Block:
    return {"type": "actions", "elements": list(buttons)}


def notice(text: str) -> Message:
    """A one-paragraph message; `text` is plain, so it is escaped here."""
    return Message(esc(text), sections(esc(text)))


def rich_text(text: sc.Rich) -> str:
    """Rich text as mrkdwn: strings escaped, the typed pieces written Slack's way."""
    out = []
    for part in text.parts:
        if isinstance(part, str):
            out.append(esc(part))
        elif isinstance(part, sc.Bold):
            out.append(f"*{esc(part.text)}*")
        elif isinstance(part, sc.Code):
            out.append(f"`{esc(part.text)}`")
        elif isinstance(part, sc.Channel):
            out.append(channel_link(part.id))
        elif isinstance(part, sc.Person):
            out.append(person(part))
        elif isinstance(part, sc.When):
            fmt = "{time}" if part.style == "relative" else "{date_short_pretty} {time}"
            out.append(date_token(part.at, fmt))
        # Links to messages need chat.getPermalink; the channel link beside it suffices.
    return "".join(out)


def person(who: sc.Person) -> str:
    """A mention for Slack players (it follows renames), else the escaped stored name."""
    return mention(who.user_id) if who.platform == "slack" else esc(who.name)


REFUSALS = {
    "not-admin": "🚫 /lrquiz admin is for workspace admins and owners (or users listed in "
    "LRQUIZ_SLACK_ADMINS). Ask one of them to post the question.",
    "direct-message": "Admin commands work in a channel, not in a direct message.",
}


# --- questions and reveals --------------------------------------------------------------


def _problem_header(problem: Problem, prefix: str) -> str:
    return f"*{prefix}* · {lo.problem_heading(problem)}"


def _problem_body(problem: Problem) -> list[Block]:
    blocks: list[Block] = []
    text = f"*{esc(problem.title)}*\n" if problem.title else ""
    blocks += sections(text + esc(problem.prompt.strip()))
    if problem.code:
        blocks += code_sections(problem.code)
    choices = "\n".join(f"*{letter}.* {esc(text)}" for letter, text in problem.choices.items())
    blocks += sections(choices)
    return blocks


def learn_intro(pack: Pack) -> Message:
    return Message(
        esc(pack.title), sections(f"📘 *{esc(pack.title)}*\n\n{esc(pack.summary.strip())}")
    )


def question(view: QuestionView, now: float, note: str | None = None) -> Message:
    """An open question of a personal run, with A–D, Hint and Quit buttons; tried letters
    are marked, as Slack buttons cannot be disabled. `note` is mrkdwn."""
    problem = view.problem
    header = _problem_header(problem, f"Question {view.number}/{view.total}")
    blocks: list[Block] = []
    if note:
        blocks += sections(note)
    blocks += sections(header)
    blocks += _problem_body(problem)
    if view.hint_used:
        blocks += sections(f"💡 *Hint:* {esc(problem.hint)}")
    blocks.append(context(status_line(view, now)))
    value = ids.question_value(view.session_id, view.index)
    buttons = [
        button(f"{letter} ✗", ids.ANSWER + letter, value, style="danger")
        if letter in view.tried
        else button(letter, ids.ANSWER + letter, value)
        for letter in problem.choices
    ]
    if view.hints_allowed and not view.hint_used:
        buttons.append(button("💡 Hint", ids.HINT, value))
    buttons.append(button("Quit", ids.QUIT, view.session_id, style="danger"))
    blocks.append(actions(buttons))
    return Message(f"Question {view.number}/{view.total}: {esc(problem.prompt.strip())}", blocks)


def status_line(view: QuestionView, now: float) -> str:
    parts = []
    left = view.seconds_left(now)
    if view.deadline is not None and left is not None:
        parts.append(f"⏱ answer by {date_token(view.deadline)} ({clock_text(left)} left)")
    noun = "attempt" if view.attempts_left == 1 else "attempts"
    parts.append(f"{view.attempts_left} {noun} left")
    if view.tried:
        parts.append("tried " + ", ".join(view.tried))
    if view.hint_used:
        parts.append("hint used (points halved)")
    return " · ".join(parts)


# How much of each kind of output a message shows (a problem's real output in full).
OUTPUT_ROOMS: dict[lo.OutputRole, int | None] = {
    "real": None,
    "original": 1200,
    "stdout": 2400,
    "stderr": 1200,
}


def _mrkdwn(piece: lo.Heading | lo.Line | lo.Field | lo.Items) -> list[str]:
    if isinstance(piece, lo.Heading):
        return [f"*{esc(piece.text)}*"]
    if isinstance(piece, lo.Line):
        return [rich_text(piece.text)]
    if isinstance(piece, lo.Field):
        return [f"*{esc(piece.label)}:* {rich_text(piece.text)}"]
    caption = [f"*{esc(piece.caption)}*"] if piece.caption else []
    return caption + [f"{marker} {rich_text(entry)}" for marker, entry in piece.marked()]


def laid_out(layout: lo.Layout) -> list[Block]:
    """A layout as blocks: each section's text in sections, output in code blocks of its
    own, asides as context."""
    blocks: list[Block] = []
    for section in layout:
        lines: list[str] = []
        for piece in section:
            if isinstance(piece, lo.Output):
                note = f" {esc(piece.note)}" if piece.note else ""
                lines.append(f"*{esc(piece.caption)}*{note}")
                if piece.missing:
                    lines.append(f"_({esc(piece.missing)})_")
                    continue
                room = OUTPUT_ROOMS[piece.role]
                tail = code_sections(sc.trimmed(piece.text, room, piece.keep_end))
            elif isinstance(piece, lo.Aside):
                tail = [context(esc(piece.text))]
            else:
                lines += _mrkdwn(piece)
                continue
            blocks += [*sections("\n".join(lines)), *tail]
            lines = []
        blocks += sections("\n".join(lines))
    return blocks


def reveal(
    view: RevealView, real: RealOutput | None, note: str | None = None, pending: bool = False
) -> Message:
    """A closed question: outcome, key, real output, solution, and Next ▶ unless finished."""
    problem = view.problem
    outcome = lo.outcome(view)
    blocks: list[Block] = []
    if note:
        blocks += sections(note)
    blocks += sections(_problem_header(problem, f"Question {view.number}/{view.total}"))
    blocks += sections(f"*{esc(outcome)}*")
    blocks += laid_out(lo.worked_answer(problem, real, pending, view.tried))
    buttons = []
    if not view.finished:
        buttons.append(button("Next ▶", ids.NEXT, view.session_id, style="primary"))
    if problem.code:
        value = ids.question_value(view.session_id, view.index)
        buttons.append(button("✏️ Edit & run", ids.EDIT, value))
    if buttons:
        blocks.append(actions(buttons))
    return Message(f"{esc(outcome)} Answer: {problem.answer}", blocks)


def run(screen: sc.RunScreen, now: float) -> Message:
    """Where a run stands: the open question, or the reveal (with the summary at the end)."""
    note = rich_text(screen.note) if screen.note else None
    if screen.question is not None:
        message = question(screen.question, now, note)
        if screen.intro is not None:
            intro = learn_intro(screen.intro)
            message = Message(message.text, [*intro.blocks, *message.blocks])
        return message
    shown = (
        reveal(screen.reveal, screen.real, note, screen.output_pending)
        if screen.reveal is not None
        else Message("", sections(note or ""))
    )
    if screen.summary is None:
        return shown
    end = summary(screen.summary)
    return Message(end.text, [*shown.blocks, *end.blocks])


def summary(view: SummaryView) -> Message:
    title = lo.summary_title(view)
    blocks = [divider(), *sections(f"🏁 *{title}* · {esc(view.pack_title)}")]
    blocks += laid_out(lo.summary(view))
    blocks += sections(lo.PLAY_AGAIN)
    return Message(f"{title}: {view.correct}/{view.total} correct", blocks)


# --- live questions ---------------------------------------------------------------------


def live_question(screen: sc.LiveQuestionScreen, now: float) -> Message:
    """The public post: everyone gets one locked-in answer until the deadline."""
    state, problem = screen.state, screen.problem
    left = max(0.0, state.deadline - now)
    blocks: list[Block] = sections(_problem_header(problem, "📣 Live question"))
    blocks += _problem_body(problem)
    blocks.append(
        context(
            f"⏱ closes {date_token(state.deadline)} ({clock_text(left)}) · one answer each, "
            "revealed at the deadline · a hint halves your points"
        )
    )
    buttons = [button(letter, ids.LIVE_ANSWER + letter, state.id) for letter in problem.choices]
    buttons.append(button("💡 Hint", ids.LIVE_HINT, state.id))
    blocks.append(actions(buttons))
    return Message(f"Live question: {esc(problem.prompt.strip())}", blocks)


def live_closed(screen: sc.LiveClosedScreen) -> Message:
    """The same post after its deadline: answer, letter counts, first right answer."""
    state, problem, results = screen.state, screen.problem, screen.results
    first_right = person(screen.first) if screen.first is not None else None
    blocks: list[Block] = sections(_problem_header(problem, "📣 Live question (closed)"))
    blocks += _problem_body(problem)
    closed_at = state.closed_at if state.closed_at is not None else state.deadline
    blocks.append(context(f"⏱ closed {date_token(closed_at)}"))
    blocks.append(divider())
    counts = " · ".join(f"{letter}: {n}" for letter, n in results.counts.items())
    noun = "answer" if results.total == 1 else "answers"
    lines = [f"{counts}  ({results.total} {noun}, {results.correct} right)"]
    if first_right:
        lines.append(f"🥇 First right answer: {first_right}")
    elif results.total:
        lines.append("Nobody got it this time.")
    else:
        lines.append("Nobody answered this time.")
    key, *worked = lo.worked_answer(problem, screen.real, screen.output_pending)
    blocks += laid_out((key,))
    blocks += sections("\n".join(lines))  # the tally right under the key
    blocks += laid_out(tuple(worked))
    if problem.code:
        blocks.append(actions([button("✏️ Edit & run", ids.LIVE_EDIT, state.id)]))
    return Message(f"Live question closed. Answer: {problem.answer}", blocks)


# --- leaderboard, stats, badges, help ---------------------------------------------------


def records(screen: lo.Record) -> Message:
    """The leaderboard, stats or badges: a bold title, then the conversation's layout."""
    title, layout = lo.record(screen)
    heading = rich_text(title)
    return Message(heading, [*sections(f"*{heading}*"), *laid_out(layout)])


HELP = "*lrquiz* — timed PyTorch quizzes on learning-rate differentials"

ADMIN_HELP = """*Admin*
• `/lrquiz admin post [problem-id] now` — post a live question in this channel \
(one answer each, revealed at the deadline)
• `/lrquiz admin post daily [#channel] [time-zone] [pack]` — post today's daily challenge card now
• `/lrquiz admin schedule add <HH:MM> <time-zone> <#channel> [weekdays] [pack] [card|live]` \
— e.g. `schedule add 09:00 Europe/Berlin #quiz mon-fri`; weekdays: `daily` (default), \
`weekdays`, `weekends`, `mon,wed,fri`, `mon-fri`
• `/lrquiz admin schedule list` · `schedule pause ID` · `resume ID` · `remove ID`
• `/lrquiz admin announce on|off [#channel]` — announce badges in a channel \
(default: where they were earned)
• `/lrquiz admin snippets on|off` — let members run code (Edit & run, `/lrquiz run`) or not"""


def help_message(screen: sc.HelpScreen) -> Message:
    blocks = sections(rich_text(screen.note)) if screen.note else []
    blocks += [*sections(HELP), *laid_out(lo.commands_help())]
    blocks += sections(ADMIN_HELP) if screen.admin else []
    return Message("lrquiz help", blocks)


# --- personal suggestions ---------------------------------------------------------------


def suggestion(screen: sc.SuggestionScreen) -> Message:
    """Today's personal set: each problem and why it was picked, and Start (or Resume)."""
    day = date.fromisoformat(screen.local_date)
    lines = [f"🎯 *Today's suggestions for you* — {day:%A}, {day.day} {day:%B}"]
    for number, (problem, why) in enumerate(screen.items, start=1):
        title = f" — {esc(problem.title)}" if problem.title else ""
        lines.append(
            f"{number}. {lo.problem_heading(problem)}{title} · {esc(lo.why_suggested(why))}"
        )
    blocks = sections("\n".join(lines))
    blocks.append(context(lo.SUGGESTION_RULES))
    if screen.status == "done":
        blocks += sections("✅ Done for today. New suggestions tomorrow.")
    else:
        label = "▶ Resume" if screen.status == "started" else "▶ Start"
        start = button(label, ids.SUGGEST_START, screen.local_date, style="primary")
        blocks.append(actions([start]))
    return Message(f"Today's suggestions: {len(screen.items)} problems", blocks)


# --- daily challenges -------------------------------------------------------------------


def _day_title(daily: Daily) -> str:
    day = date.fromisoformat(daily.local_date)
    return f"{day:%A}, {day.day} {day:%B %Y}"


def _daily_problems(problems: Sequence[Problem]) -> str:
    return "\n".join(_mrkdwn(lo.daily_problems(problems)))


def daily_card(screen: sc.DailyCardScreen) -> Message:
    """The public card: the day's problems, the rules, Start and Leaderboard."""
    daily, pack = screen.daily, screen.pack
    problems = [pack.problem(pid) for pid in daily.problem_ids]
    blocks: list[Block] = sections(
        f"📅 *Daily challenge — {_day_title(daily)}*\n"
        f"Today's {len(problems)} problems from _{esc(pack.title)}_:\n{_daily_problems(problems)}"
    )
    blocks.append(
        context(
            lo.daily_rules(problems),
            f"closes {date_token(daily.ends_at, '{date_short_pretty} {time}')}",
        )
    )
    blocks.append(
        actions(
            [
                button("▶ Start", ids.DAILY_START, daily.id, style="primary"),
                button("🏆 Leaderboard", ids.DAILY_BOARD, daily.id),
            ]
        )
    )
    return Message(f"Daily challenge — {_day_title(daily)}: {len(problems)} problems", blocks)


def daily_closed(screen: sc.DailyClosedScreen) -> Message:
    """The same card once the day is over: who played, perfect runs, badges, hardest one."""
    daily, pack, summary, hardest = screen.daily, screen.pack, screen.summary, screen.hardest
    problems = [pack.problem(pid) for pid in daily.problem_ids]
    blocks: list[Block] = sections(
        f"📅 *Daily challenge — {_day_title(daily)}* (closed)\n"
        f"The {len(problems)} problems from _{esc(pack.title)}_:\n{_daily_problems(problems)}"
    )
    closed_at = daily.closed_at if daily.closed_at is not None else daily.ends_at
    blocks.append(context(f"closed {date_token(closed_at, '{date_short_pretty} {time}')}"))
    blocks.append(divider())
    if not summary.participants:
        lines = ["*Summary:* nobody played this one."]
    else:
        people = "player" if summary.participants == 1 else "players"
        lines = [
            f"*Summary:* {summary.participants} {people} · {summary.completed} finished · "
            f"🎯 {summary.perfect} perfect",
            f"🎖️ Badges earned: {summary.badges}",
        ]
        if hardest is not None and summary.hardest_correct_rate is not None:
            name = esc(hardest.title) if hardest.title else esc(_short(hardest.prompt))
            number = daily.problem_ids.index(hardest.id) + 1
            lines.append(
                f"🧗 Hardest question: #{number} {KIND_LABELS[hardest.kind]} — {name} "
                f"({summary.hardest_correct_rate:.0%} got it right)"
            )
    blocks += sections("\n".join(lines))
    blocks.append(actions([button("🏆 Leaderboard", ids.DAILY_BOARD, daily.id)]))
    text = f"Daily challenge — {_day_title(daily)} (closed): {summary.participants} played"
    return Message(text, blocks)


def _short(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def badge_announcement(screen: sc.BadgeAnnouncement) -> Message:
    """A public line in the channel naming who earned what."""
    who, earned = person(screen.who), screen.badges
    names = ", ".join(f"{b.emoji} *{esc(b.name)}*" for b in earned)
    text = f"🎉 {who} earned {names}!"
    details = "\n".join(f"{b.emoji} {esc(b.name)} — {esc(b.description)}" for b in earned)
    return Message(text, [*sections(text), context(details)])


# --- schedules --------------------------------------------------------------------------


def schedule_list(screen: sc.SchedulesScreen) -> Message:
    """Each schedule with its id and, unless paused, when it fires next."""
    schedules = screen.items
    lines = ["🗓️ *Schedules in this workspace*"]
    if not schedules:
        lines.append(
            "None yet. Add one with `/lrquiz admin schedule add 09:00 Europe/Berlin #channel`."
        )
    for schedule, next_at in schedules:
        state = (
            "⏸ paused"
            if schedule.paused or next_at is None
            else f"next {date_token(next_at, '{date_short_pretty} {time}')}"
        )
        lines.append(f"• `{schedule.id}` — {rich_text(sc.schedule_text(schedule))} · {state}")
    return Message("Schedules", sections("\n".join(lines)))


# --- Edit & run ---------------------------------------------------------------------------

INPUT_MAX = 3000  # Slack's cap on a plain_text_input
TITLE_MAX = 24  # a modal title


def plain(text: sc.Rich, now: float) -> str:
    """Rich text as plain text (a modal's error has no mrkdwn): moments written in UTC."""
    out = []
    for part in text.parts:
        if isinstance(part, sc.When):
            if part.style == "relative":
                left = max(0, round((part.at - now) / 60))
                out.append(f"in {left} min" if left else "in under a minute")
            else:
                out.append(time.strftime("%H:%M UTC", time.gmtime(part.at)))
        elif isinstance(part, sc.Person):
            out.append(part.name)
        elif isinstance(part, str | sc.Bold | sc.Code):
            out.append(part if isinstance(part, str) else part.text)
    return "".join(out)


def editor_view(
    editor: sc.EditorScreen,
    channel: str,
    above: Sequence[Block] = (),
    submit: str = "Run",
) -> dict[str, Any]:
    """The Edit & run modal for views.open, and again with a result `above` its input (which
    keeps the learner's text); each Run comes back as a view_submission."""
    title = editor.title if len(editor.title) <= TITLE_MAX else editor.title[: TITLE_MAX - 1] + "…"
    room = min(editor.max_chars, INPUT_MAX)
    meta: dict[str, Any] = {"c": channel}
    if editor.session_id is not None and editor.index is not None:
        meta.update(s=editor.session_id, i=editor.index)
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.CODE_INPUT,
        "multiline": True,
        "max_length": room,
        "initial_value": editor.code[:room],
    }
    code_input = {
        "type": "input",
        "block_id": ids.CODE_BLOCK,
        "label": {"type": "plain_text", "text": "Python code (runs with PyTorch)"},
        "element": element,
    }
    return {
        "type": "modal",
        "callback_id": ids.SNIPPET_VIEW,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [*above, *([divider()] if above else []), code_input],
    }


RUNNING_SNIPPET = f"_{sc.RUNNING}_"


def result_blocks(screen: sc.SnippetResultScreen) -> list[Block]:
    """The run beside the original output, escaped, each block within Slack's limits."""
    title = sections(f"▶️ *{esc(screen.title)}*")
    return [*title, *laid_out(lo.snippet_result(screen))]


def snippet_result(screen: sc.SnippetResultScreen) -> Message:
    """The result as a private message: when the modal it came from is gone."""
    outcome = screen.outcome
    summary_text = (
        f"Your run: {outcome.verdict}" if outcome.available else f"{sc.NOT_RUN}: {outcome.reason}"
    )
    blocks = result_blocks(screen)
    blocks.append(context(sc.PRIVATE_RUN))
    blocks.append(actions([button("✏️ Edit again", ids.REOPEN, "draft")]))
    return Message(esc(summary_text), blocks, unfurl=False)


def snippet_refused(screen: sc.SnippetRefused, now: float) -> Message:
    text = rich_text(screen.reason)
    blocks = sections(text)
    if screen.reopen:
        blocks.append(actions([button("✏️ Reopen editor", ids.REOPEN, "draft")]))
    return Message(plain(screen.reason, now), blocks, unfurl=False)


def render(screen: sc.Screen, now: float | None = None) -> Message:
    """Any neutral screen as a Slack message."""
    now = time.time() if now is None else now
    if isinstance(screen, sc.Notice):
        text = rich_text(screen.text)
        return Message(text, sections(text))
    if isinstance(screen, sc.Refusal):
        return notice(REFUSALS[screen.reason])
    if isinstance(screen, sc.RunScreen):
        return run(screen, now)
    if isinstance(screen, sc.LiveQuestionScreen):
        return live_question(screen, now)
    if isinstance(screen, sc.SnippetRefused):
        return snippet_refused(screen, now)
    drawers: dict[type, Any] = {
        sc.LeaderboardScreen: records,
        sc.StatsScreen: records,
        sc.BadgesScreen: records,
        sc.HelpScreen: help_message,
        sc.SchedulesScreen: schedule_list,
        sc.LiveClosedScreen: live_closed,
        sc.DailyCardScreen: daily_card,
        sc.DailyClosedScreen: daily_closed,
        sc.BadgeAnnouncement: badge_announcement,
        sc.SuggestionScreen: suggestion,
        sc.SnippetResultScreen: snippet_result,
    }
    return drawers[type(screen)](screen)
