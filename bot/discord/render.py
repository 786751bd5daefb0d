"""Neutral screens as Discord messages: embeds, content and rows of buttons. No game rules.

Every function is pure, so a message looks the same whether it answers a click or is edited
later by the deadline watcher. Rich text becomes Discord markdown: mentions and `<t:…>`
timestamps that every client shows in its reader's own time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.conversation import actions as a
from bot.conversation import layout as lo
from bot.conversation import screens as s
from bot.engine.views import QuestionView, RevealView, SummaryView
from bot.real_output import RealOutput
from problems.model import Pack, Problem
from storage.dailies import Daily

from . import ids
from .parse import PLATFORM

BLURPLE = discord.Colour.blurple()
GREEN = discord.Colour.green()
RED = discord.Colour.red()
ORANGE = discord.Colour.orange()
GREY = discord.Colour.light_grey()
GOLD = discord.Colour.gold()

# Discord's limits: title 256, description 4096, field value 1024, all embeds of a message 6000.
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_MAX = 1024
MESSAGE_EMBEDS_MAX = 6000
CODE_MAX = 1500
# How much of each kind of output a message shows: several share one 4096-character embed.
OUTPUT_ROOMS: dict[lo.OutputRole, int] = {
    "real": CODE_MAX,
    "original": 700,
    "stdout": 1800,
    "stderr": 900,
}

DENIED = "🔒 Only members with the **Manage Server** permission can use `/lrquiz-admin`."
NO_GUILD = "Admin commands work in a server, not in direct messages."
REFUSALS = {"not-admin": DENIED, "direct-message": NO_GUILD}
NO_PINGS = discord.AllowedMentions.none()  # names are shown, nobody is notified
Button = discord.ui.Button[Any]


@dataclass
class Message:
    """One message's worth of output, ready for discord.py's send and edit calls."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

    def view(self) -> discord.ui.View | None:
        """The buttons as a view discord.py does not keep listening to: clicks arrive
        through parse.py, so nothing about a message has to stay in memory."""
        if not self.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for item in self.buttons:
            view.add_item(item)
        view.stop()
        return view

    def edit_kwargs(self) -> dict[str, Any]:
        """Keyword arguments that turn a message into this one (old buttons removed)."""
        return {
            "content": self.content,
            "embeds": fit(self.embeds),
            "view": self.view(),
            "allowed_mentions": NO_PINGS,
        }

    def send_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.edit_kwargs().items() if v is not None}


def render(screen: s.Screen) -> Message:
    """Any screen as a Discord message."""
    if isinstance(screen, s.HelpScreen):
        return Message(text(screen.note) if screen.note else None, [help_embed()])
    return RENDERERS[type(screen)](screen)


# --- rich text -------------------------------------------------------------------------


def stamp(when: float, style: str = "R") -> str:
    """A live Discord timestamp: every client renders and counts it down in its own locale."""
    return f"<t:{int(when)}:{style}>"


def person(who: s.Person) -> str:
    return f"<@{who.user_id}>" if who.platform == PLATFORM and who.user_id else who.name


def segment(part: s.Segment) -> str:
    if isinstance(part, str):
        return part
    if isinstance(part, s.Bold):
        return f"**{part.text}**"
    if isinstance(part, s.Code):
        return f"`{part.text}`"
    if isinstance(part, s.Channel):
        return f"<#{part.id}>"
    if isinstance(part, s.Person):
        return person(part)
    if isinstance(part, s.When):
        return stamp(part.at, "R" if part.style == "relative" else "f")
    ref = part.ref
    return f"https://discord.com/channels/{part.workspace}/{ref.channel_id}/{ref.message_id}"


def text(rich: s.Rich) -> str:
    return "".join(segment(part) for part in rich.parts)


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def fit(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Shorten the longest descriptions until the message fits Discord's 6000-character cap."""
    while sum(len(e) for e in embeds) > MESSAGE_EMBEDS_MAX:
        longest = max(embeds, key=lambda e: len(e.description or ""))
        overflow = sum(len(e) for e in embeds) - MESSAGE_EMBEDS_MAX
        body = longest.description or ""
        if not body:
            break
        longest.description = clip(body, max(1, len(body) - overflow - 1))
    return embeds


def defuse(code: str) -> str:
    """No two backticks in a row (a zero-width space between), so nothing inside can close
    the block, however many backticks it holds."""
    return re.sub(r"`(?=`)", "`\u200b", code)


def code_block(code: str, lang: str = "py") -> str:
    body = defuse(clip(code.rstrip("\n"), CODE_MAX))
    return f"```{lang}\n{body}\n```"


def output_block(value: str, room: int, keep_end: bool = False) -> str:
    """Output in a text block, trimmed to `room` (saying how much was cut) and unable to
    close the block early."""
    return f"```text\n{defuse(s.trimmed(value, room, keep_end))}\n```"


def _button(label: str, action: a.Action, style: discord.ButtonStyle, **extra: Any) -> Button:
    return discord.ui.Button(label=label, custom_id=ids.custom_id(action), style=style, **extra)


# --- runs ------------------------------------------------------------------------------


def problem_text(problem: Problem) -> str:
    parts = []
    if problem.title:
        parts.append(f"**{problem.title}**")
    parts.append(problem.prompt.strip())
    if problem.code:
        parts.append(code_block(problem.code))
    parts.append("\n".join(f"**{letter}.** {choice}" for letter, choice in problem.choices.items()))
    return clip("\n\n".join(parts), DESCRIPTION_MAX)


def run(screen: s.RunScreen) -> Message:
    """The open question, or the reveal with Next ▶ (or the summary after the last one);
    a reveal of code also has Edit & run."""
    note = text(screen.note) if screen.note else None
    embeds = [learn_intro(screen.intro)] if screen.intro is not None else []
    if screen.question is not None:
        embed, buttons = question(screen.question)
        return Message(note, [*embeds, embed], buttons)
    edit = []
    if screen.reveal is not None:
        embeds.append(reveal(screen.reveal, screen.real, screen.output_pending))
        if screen.reveal.problem.code:
            action = a.EditSnippet(screen.session_id, screen.reveal.index)
            edit.append(_button("Edit & run", action, discord.ButtonStyle.secondary, emoji="✏️"))
    if screen.summary is not None:
        embeds.append(summary(screen.summary))
        return Message(note, embeds, edit)
    sid = screen.session_id
    buttons = [
        _button("Next ▶", a.Next(sid), discord.ButtonStyle.success),
        *edit,
        _button("Quit", a.Quit(sid), discord.ButtonStyle.secondary),
    ]
    return Message(note, embeds, buttons)


def question(view: QuestionView) -> tuple[discord.Embed, list[Button]]:
    problem = view.problem
    embed = discord.Embed(
        title=f"Question {view.number}/{view.total} · {lo.problem_heading(problem)}",
        description=problem_text(problem),
        colour=BLURPLE,
    )
    if view.deadline is not None:
        embed.add_field(name="⏱ Time", value=f"closes {stamp(view.deadline)}")
    attempts = f"{view.attempts_left} of {view.max_attempts} left"
    if view.tried:
        attempts += f" · tried {', '.join(view.tried)}"
    embed.add_field(name="🎯 Attempts", value=attempts)
    if view.hint_used:
        embed.add_field(name="💡 Hint", value=clip(problem.hint, FIELD_MAX), inline=False)
    embed.set_footer(text=f"{view.mode.capitalize()} · only you can see this run")
    sid, index = view.session_id, view.index
    buttons = [  # a letter already tried stays greyed out: clicking it again costs nothing
        _button(
            letter,
            a.Answer(sid, index, letter),
            discord.ButtonStyle.danger if letter in view.tried else discord.ButtonStyle.primary,
            disabled=letter in view.tried,
        )
        for letter in problem.choices
    ]
    if view.hints_allowed:
        hint = a.Hint(sid, index)
        style = discord.ButtonStyle.secondary
        buttons.append(_button("Hint", hint, style, emoji="💡", disabled=view.hint_used))
    buttons.append(_button("Quit", a.Quit(sid), discord.ButtonStyle.secondary))
    return embed, buttons


def piece_text(piece: lo.Piece) -> str:
    """One piece of a layout as Discord markdown."""
    if isinstance(piece, lo.Heading):
        return f"**{piece.text}**"
    if isinstance(piece, lo.Line):
        return text(piece.text)
    if isinstance(piece, lo.Field):
        return f"**{piece.label}:** {text(piece.text)}"
    if isinstance(piece, lo.Items):
        caption = [f"**{piece.caption}**"] if piece.caption else []
        marks = "`{}`" if piece.numbered else "{}"  # numbers line up in code type
        lines = [f"{marks.format(m)} {text(entry)}" for m, entry in piece.marked()]
        return "\n".join(caption + lines)
    if isinstance(piece, lo.Aside):
        return f"_{piece.text}_"
    caption = f"**{piece.caption}**" + (f" {piece.note}" if piece.note else "")
    if piece.missing:
        return f"{caption}\n_({piece.missing})_"
    return f"{caption}\n{output_block(piece.text, OUTPUT_ROOMS[piece.role], piece.keep_end)}"


def laid_out(layout: lo.Layout) -> str:
    """A layout as one description: its sections a blank line apart."""
    return "\n\n".join("\n".join(piece_text(p) for p in section) for section in layout)


def reveal(view: RevealView, real: RealOutput | None, pending: bool) -> discord.Embed:
    problem = view.problem
    colour = {"correct": GREEN, "wrong": RED, "expired": ORANGE}.get(view.outcome, GREY)
    worked = lo.worked_answer(problem, real, pending, view.tried)
    return discord.Embed(
        title=f"Question {view.number}/{view.total} · {lo.outcome(view)}",
        description=clip(laid_out(worked), DESCRIPTION_MAX),
        colour=colour,
    )


def summary(view: SummaryView) -> discord.Embed:
    return discord.Embed(
        title=f"🏁 {lo.summary_title(view)} · {view.pack_title}",
        description=laid_out(lo.summary(view)) + "\n" + lo.PLAY_AGAIN,
        colour=GOLD if view.badges else BLURPLE,
    )


def learn_intro(pack: Pack) -> discord.Embed:
    return discord.Embed(
        title=f"📘 {pack.title}",
        description=clip(pack.summary.strip(), DESCRIPTION_MAX),
        colour=BLURPLE,
    )


# --- live questions --------------------------------------------------------------------


def live_question(screen: s.LiveQuestionScreen) -> Message:
    state, problem = screen.state, screen.problem
    embed = discord.Embed(
        title=f"📣 Live question · {lo.problem_heading(problem)}",
        description=problem_text(problem),
        colour=BLURPLE,
    )
    closes = f"{stamp(state.deadline)} ({stamp(state.deadline, 'T')})"
    embed.add_field(name="⏱ Closes", value=closes)
    rules = "One answer each; the answer is revealed at the deadline."
    embed.add_field(name="🎯 Rules", value=rules)
    embed.set_footer(text="Everyone can answer · 💡 Hint halves your points")
    buttons = [
        _button(letter, a.LiveAnswer(state.id, letter), discord.ButtonStyle.primary)
        for letter in problem.choices
    ]
    buttons.append(_button("Hint", a.LiveHint(state.id), discord.ButtonStyle.secondary, emoji="💡"))
    content = f"Posted by {person(screen.posted_by)}" if screen.posted_by else None
    return Message(content, [embed], buttons)


def live_closed(screen: s.LiveClosedScreen) -> Message:
    problem, results = screen.problem, screen.results
    widest = max([*results.counts.values(), 1])
    bars = []
    for letter, count in results.counts.items():
        bar = "█" * round(8 * count / widest) if count else ""
        mark = " ✅" if letter == results.answer else ""
        bars.append(f"`{letter}` {bar} {count}{mark}")
    worked = laid_out(lo.worked_answer(problem, screen.real, screen.output_pending))
    embed = discord.Embed(
        title=f"🔔 Live question closed · {lo.problem_heading(problem)}",
        description=clip(problem_text(problem) + "\n\n" + worked, DESCRIPTION_MAX),
        colour=GREEN,
    )
    embed.add_field(name="Answers", value="\n".join(bars) or "—")
    if screen.first is not None:
        right = f"{person(screen.first)} was first · {results.correct}/{results.total} right"
    elif results.total:
        right = f"Nobody got it right ({lo.plural(results.total, 'answer')})."
    else:
        right = "Nobody answered."
    embed.add_field(name="🥇 First right", value=right)
    embed.set_footer(text="Closed · points count on the leaderboard")
    edit = a.EditLiveSnippet(screen.state.id)
    style = discord.ButtonStyle.secondary
    buttons = [_button("Edit & run", edit, style, emoji="✏️")] if problem.code else []
    return Message(embeds=[embed], buttons=buttons)


# --- boards and records ----------------------------------------------------------------


RECORD_COLOURS = {s.LeaderboardScreen: GOLD, s.StatsScreen: BLURPLE, s.BadgesScreen: GOLD}


def records(screen: lo.Record) -> Message:
    """The leaderboard, stats or badges: the conversation's layout as one description."""
    title, layout = lo.record(screen)
    embed = discord.Embed(
        # An embed title shows a mention as raw `<@id>`, so the title names people plainly.
        title=clip(title.plain(), TITLE_MAX),
        description=clip(laid_out(layout), DESCRIPTION_MAX),
        colour=RECORD_COLOURS[type(screen)],
    )
    return Message(embeds=[embed])


def badge_announcement(screen: s.BadgeAnnouncement) -> Message:
    who = person(screen.who)
    lines = [f"🎖️ {who} earned {b.emoji} **{b.name}** — {b.description}" for b in screen.badges]
    return Message("\n".join(lines))


# --- daily challenges ------------------------------------------------------------------


def _problems(daily: Daily, pack: Pack) -> list[Problem]:
    return [pack.problem(pid) for pid in daily.problem_ids]


def _daily_lines(daily: Daily, pack: Pack) -> str:
    return clip(piece_text(lo.daily_problems(_problems(daily, pack))), FIELD_MAX)


def daily_card(screen: s.DailyCardScreen) -> Message:
    """The public card: the day's problems (headings only), the rules, Start and Leaderboard."""
    daily, pack = screen.daily, screen.pack
    embed = discord.Embed(
        title=f"📅 Daily challenge · {daily.local_date}",
        description=(
            f"Today's {lo.plural(len(daily.problem_ids), 'problem')} from **{pack.title}**. "
            "Press **Start** for your own timed run; only you see it."
        ),
        colour=BLURPLE,
    )
    embed.add_field(name="Problems", value=_daily_lines(daily, pack), inline=False)
    embed.add_field(name="🎯 Rules", value=lo.daily_rules(_problems(daily, pack)), inline=False)
    embed.add_field(name="⏳ Closes", value=f"{stamp(daily.ends_at)} ({stamp(daily.ends_at, 'f')})")
    embed.set_footer(text=f"Midnight {daily.timezone} ends the day · streaks count daily runs")
    buttons = [
        _button("Start", a.StartDaily(daily.id), discord.ButtonStyle.success, emoji="▶️"),
        _button(
            "Leaderboard", a.DailyLeaderboard(daily.id), discord.ButtonStyle.secondary, emoji="🏆"
        ),
    ]
    return Message(embeds=[embed], buttons=buttons)


def daily_closed(screen: s.DailyClosedScreen) -> Message:
    """The card once the day is over: who played, perfect runs, badges, the hardest question."""
    daily, pack, summary_ = screen.daily, screen.pack, screen.summary
    embed = discord.Embed(
        title=f"📅 Daily challenge · {daily.local_date} · closed",
        description=f"The day's problems from **{pack.title}**, and how the server did.",
        colour=GREEN if summary_.participants else GREY,
    )
    embed.add_field(name="Problems", value=_daily_lines(daily, pack), inline=False)
    played = f"{summary_.participants} ({summary_.completed} finished)"
    embed.add_field(name="👥 Participants", value=played if summary_.participants else "Nobody")
    embed.add_field(name="💯 Perfect runs", value=str(summary_.perfect))
    embed.add_field(name="🎖️ Badges earned", value=str(summary_.badges))
    problem = screen.hardest
    if problem is not None:
        number = daily.problem_ids.index(problem.id) + 1
        rate = summary_.hardest_correct_rate or 0.0
        embed.add_field(
            name="🧗 Hardest question",
            value=(
                f"`{number}.` {lo.problem_heading(problem)}"
                + (f" — {problem.title}" if problem.title else "")
                + f"\n{rate:.0%} got it right · answer **{problem.answer}**: "
                + clip(problem.answer_text, 300)
            ),
            inline=False,
        )
    embed.set_footer(text="Closed · points count on the leaderboard")
    return Message(embeds=[embed])


def suggestion(screen: s.SuggestionScreen) -> Message:
    """Today's personal set: each problem and why it was picked, and Start (or Resume)."""
    lines = []
    for n, (problem, why) in enumerate(screen.items, start=1):
        title = f" — {problem.title}" if problem.title else ""
        lines.append(f"`{n}.` {lo.problem_heading(problem)}{title}\n{lo.why_suggested(why)}")
    embed = discord.Embed(
        title=f"🎯 Today's suggestions · {screen.local_date}",
        description=clip("\n".join(lines), DESCRIPTION_MAX),
        colour=GREEN if screen.status == "done" else BLURPLE,
    )
    embed.set_footer(text=lo.SUGGESTION_RULES)
    if screen.status == "done":
        embed.add_field(name="✅ Done for today", value="New suggestions tomorrow.")
        return Message(embeds=[embed])
    label = "Resume" if screen.status == "started" else "Start"
    start = _button(
        label, a.StartSuggested(screen.local_date), discord.ButtonStyle.success, emoji="▶️"
    )
    return Message(embeds=[embed], buttons=[start])


# --- admin and help --------------------------------------------------------------------


def schedules(screen: s.SchedulesScreen) -> discord.Embed:
    lines = []
    for item, next_at in screen.items:
        state = "⏸️ paused" if next_at is None else f"next {stamp(next_at)}"
        lines.append(f"`{item.id}` · <#{item.channel_id}> · {item.spec.describe()} · {state}")
    description = (
        clip("\n".join(lines), DESCRIPTION_MAX)
        if lines
        else "No schedules yet. Add one with `/lrquiz-admin schedule add`."
    )
    return discord.Embed(title="🗓️ Schedules", description=description, colour=BLURPLE)


HELP_INTRO = """\
Timed multiple-choice PyTorch problems on **learning-rate differentials** \
(per-parameter-group learning rates, layer-wise decay, freezing, fine-tuning)."""

HELP_NOTES = """\
Answer with the **A–D** buttons; **💡 Hint** halves the points of that question. \
Every question closes with the answer and a step-by-step solution; predict-output \
problems also show the real output of the code, run with PyTorch; **✏️ Edit & run** \
changes the code and runs it (10 runs per 10 minutes each).
The **daily challenge** card (when your server schedules one) has a **Start** button: \
the day's 5 problems, once per member; days in a row make a streak.
Admins: `/lrquiz-admin post` posts a live question everyone can answer, \
`/lrquiz-admin schedule add` posts daily cards or live questions on a schedule, \
`/lrquiz-admin snippets off` stops members running code."""


def help_embed() -> discord.Embed:
    description = f"{HELP_INTRO}\n\n{laid_out(lo.commands_help())}\n\n{HELP_NOTES}"
    return discord.Embed(title="❓ lrquiz", description=description, colour=BLURPLE)


# --- Edit & run ------------------------------------------------------------------------

MODAL_TITLE_MAX = 45
MODAL_INPUT_MAX = 4000  # Discord's cap on a text input's value


def editor_modal(editor: s.EditorScreen) -> discord.ui.Modal:
    """The Edit & run modal. Stopped at once: its submission arrives through parse.py,
    like a click, so no modal waits in memory for it."""
    modal = discord.ui.Modal(
        title=clip(editor.title, MODAL_TITLE_MAX),
        custom_id=ids.modal_id(editor.session_id, editor.index),
        timeout=None,
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Python code (runs with PyTorch in a sandbox)",
            style=discord.TextStyle.paragraph,
            custom_id=ids.CODE_INPUT,
            default=editor.code[: min(editor.max_chars, MODAL_INPUT_MAX)],
            max_length=min(editor.max_chars, MODAL_INPUT_MAX),
            required=True,
        )
    )
    modal.stop()
    return modal


def snippet_result(screen: s.SnippetResultScreen) -> Message:
    outcome = screen.outcome
    colour = GREY if not outcome.available else GREEN if outcome.status == "ok" else RED
    embed = discord.Embed(
        title=f"▶️ {clip(screen.title, 200)}",
        description=clip(laid_out(lo.snippet_result(screen)), DESCRIPTION_MAX),
        colour=colour,
    )
    embed.set_footer(text=s.PRIVATE_RUN)
    again = _button("Edit again", a.ReopenDraft(), discord.ButtonStyle.secondary, emoji="✏️")
    return Message(embeds=[embed], buttons=[again])


def snippet_refused(screen: s.SnippetRefused) -> Message:
    """Discord cannot show an error inside a modal: the reason, and a button that opens the
    editor again with exactly the text that was submitted."""
    if not screen.reopen:
        return Message(text(screen.reason))
    note = "\nYour text is kept: **Reopen editor** brings it back."
    reopen = _button("Reopen editor", a.ReopenDraft(), discord.ButtonStyle.primary, emoji="✏️")
    return Message(text(screen.reason) + note, buttons=[reopen])


RENDERERS: dict[type, Callable[[Any], Message]] = {
    s.Notice: lambda notice: Message(text(notice.text)),
    s.Refusal: lambda refusal: Message(REFUSALS[refusal.reason]),
    s.RunScreen: run,
    s.LeaderboardScreen: records,
    s.StatsScreen: records,
    s.BadgesScreen: records,
    s.SchedulesScreen: lambda screen: Message(embeds=[schedules(screen)]),
    s.LiveQuestionScreen: live_question,
    s.LiveClosedScreen: live_closed,
    s.DailyCardScreen: daily_card,
    s.DailyClosedScreen: daily_closed,
    s.BadgeAnnouncement: badge_announcement,
    s.SuggestionScreen: suggestion,
    s.SnippetResultScreen: snippet_result,
    s.SnippetRefused: snippet_refused,
}
