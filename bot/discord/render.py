"""Engine views as Discord messages: embeds, content and rows of buttons. No game rules.

Everything here is a pure function of a view (plus the runner's output), so a message looks
the same whether it is sent in reply to a click or edited later by the deadline watcher.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import discord

from bot.engine.daily import DailySummary
from bot.engine.live import LiveResults, LiveState
from bot.engine.modes import rules_for
from bot.engine.schedule import next_occurrence
from bot.engine.stats import Accuracy, StatsView
from bot.engine.views import QuestionView, RevealView, SummaryView
from bot.labels import KIND_LABELS, OUTCOME_LABELS, PERIOD_TITLES, clock_text
from bot.real_output import RealOutput
from bot.service import Leaderboard
from problems.model import Badge, Pack, Problem
from storage.dailies import Daily
from storage.schedules import StoredSchedule

from . import components

BLURPLE = discord.Colour.blurple()
GREEN = discord.Colour.green()
RED = discord.Colour.red()
ORANGE = discord.Colour.orange()
GREY = discord.Colour.light_grey()
GOLD = discord.Colour.gold()

# Discord's limits: description 4096, field value 1024, all embeds of a message 6000.
DESCRIPTION_MAX = 4096
FIELD_MAX = 1024
MESSAGE_EMBEDS_MAX = 6000
CODE_MAX = 1500


@dataclass
class Screen:
    """One message's worth of output; `buttons=None` leaves a message's components alone."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)
    buttons: list[discord.ui.Item] | None = field(default_factory=list)

    def view(self) -> discord.ui.View | None:
        """A fresh view of DynamicItems; nothing about it needs to stay in memory."""
        if not self.buttons:
            return None
        view = discord.ui.View(timeout=None)
        for item in self.buttons:
            view.add_item(item)
        return view

    def edit_kwargs(self) -> dict:
        """Keyword arguments for editing a message into this screen (removing old buttons)."""
        return {"content": self.content, "embeds": fit(self.embeds), "view": self.view()}

    def send_kwargs(self) -> dict:
        kwargs: dict = {"embeds": fit(self.embeds)}
        if self.content:
            kwargs["content"] = self.content
        view = self.view()
        if view is not None:
            kwargs["view"] = view
        return kwargs


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def fit(embeds: list[discord.Embed]) -> list[discord.Embed]:
    """Shorten the longest descriptions until the message fits Discord's 6000-character cap."""
    while sum(len(e) for e in embeds) > MESSAGE_EMBEDS_MAX:
        longest = max(embeds, key=lambda e: len(e.description or ""))
        overflow = sum(len(e) for e in embeds) - MESSAGE_EMBEDS_MAX
        text = longest.description or ""
        if not text:
            break
        longest.description = clip(text, max(1, len(text) - overflow - 1))
    return embeds


def code_block(code: str, lang: str = "py") -> str:
    body = clip(code.rstrip("\n"), CODE_MAX).replace("```", "`\u200b``")
    return f"```{lang}\n{body}\n```"


def stamp(when: float, style: str = "R") -> str:
    """A live Discord timestamp: every client renders and counts it down in its own locale."""
    return f"<t:{int(when)}:{style}>"


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --- questions ------------------------------------------------------------------------------


def problem_text(problem: Problem) -> str:
    parts = []
    if problem.title:
        parts.append(f"**{problem.title}**")
    parts.append(problem.prompt.strip())
    if problem.code:
        parts.append(code_block(problem.code))
    parts.append("\n".join(f"**{letter}.** {text}" for letter, text in problem.choices.items()))
    return clip("\n\n".join(parts), DESCRIPTION_MAX)


def heading(problem: Problem) -> str:
    return f"{KIND_LABELS[problem.kind]} · {problem.level or problem.difficulty}"


def question(view: QuestionView, note: str | None = None) -> Screen:
    problem = view.problem
    embed = discord.Embed(
        title=f"Question {view.number}/{view.total} · {heading(problem)}",
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
    buttons: list[discord.ui.Item] = [
        components.RunAnswer(view.session_id, view.index, letter, tried=letter in view.tried)
        for letter in problem.choices
    ]
    if view.hints_allowed:
        buttons.append(components.RunHint(view.session_id, view.index, used=view.hint_used))
    buttons.append(components.RunQuit(view.session_id))
    return Screen(content=note, embeds=[embed], buttons=buttons)


def wrong_note(letter: str, attempts_left: int) -> str:
    return f"❌ **{letter}** is not it. {plural(attempts_left, 'attempt')} left."


def solution_text(problem: Problem) -> str:
    solution = problem.solution
    lines = ["**Solution**"]
    lines += [f"{n}. {step}" for n, step in enumerate(solution.steps, start=1)]
    lines.append(f"**Final answer:** {solution.final}")
    if solution.quick_check:
        lines.append(f"**Quick check:** {solution.quick_check}")
    if solution.common_mistakes:
        lines.append("**Common mistakes**")
        lines += [f"• {mistake}" for mistake in solution.common_mistakes]
    return "\n".join(lines)


def real_output_text(real: RealOutput) -> str:
    if not real.available:
        return f"**{real.heading}** ({real.reason})"
    return f"**{real.heading}**\n{code_block(real.text, 'text')}"


def reveal_embed(view: RevealView, real: RealOutput | None) -> discord.Embed:
    problem = view.problem
    title = OUTCOME_LABELS.get(view.outcome, view.outcome)
    if view.outcome == "correct" and view.points:
        title += f" +{view.points} points" + (" (hint used)" if view.hint_used else "")
    colour = {"correct": GREEN, "wrong": RED, "expired": ORANGE}.get(view.outcome, GREY)
    parts = [f"**Answer: {problem.answer}.** {problem.answer_text}"]
    if view.tried:
        parts[0] += f"\nYou answered {', '.join(view.tried)}."
    if real is not None:
        parts.append(real_output_text(real))
    parts.append(solution_text(problem))
    embed = discord.Embed(
        title=f"Question {view.number}/{view.total} · {title}",
        description=clip("\n\n".join(parts), DESCRIPTION_MAX),
        colour=colour,
    )
    return embed


def reveal(
    view: RevealView, real: RealOutput | None, summary_view: SummaryView | None = None
) -> Screen:
    """The closed question, then either Next ▶ or, after the last one, the run's summary."""
    embeds = [reveal_embed(view, real)]
    if summary_view is not None:
        embeds.append(summary(summary_view))
        return Screen(embeds=embeds, buttons=[])
    return Screen(
        embeds=embeds,
        buttons=[components.RunNext(view.session_id), components.RunQuit(view.session_id)],
    )


def summary(view: SummaryView) -> discord.Embed:
    verb = "finished" if view.completed else "ended early"
    lines = [f"**Score:** {view.correct}/{view.total} correct"]
    if view.scored:
        lines.append(f"**Points:** {view.points}")
    for badge in view.badges:
        lines.append(f"{badge.emoji} **Badge earned: {badge.name}** — {badge.description}")
    lines.append("Play again with `/lrquiz challenge`, `test`, `practice` or `learn`.")
    return discord.Embed(
        title=f"🏁 {view.mode.capitalize()} {verb} · {view.pack_title}",
        description="\n".join(lines),
        colour=GOLD if view.badges else BLURPLE,
    )


def learn_intro(pack: Pack) -> discord.Embed:
    return discord.Embed(
        title=f"📘 {pack.title}",
        description=clip(pack.summary.strip(), DESCRIPTION_MAX),
        colour=BLURPLE,
    )


# --- live questions -------------------------------------------------------------------------


def live_question(state: LiveState, pack: Pack, posted_by: str | None = None) -> Screen:
    problem = pack.problem(state.problem_id)
    embed = discord.Embed(
        title=f"📣 Live question · {heading(problem)}",
        description=problem_text(problem),
        colour=BLURPLE,
    )
    embed.add_field(
        name="⏱ Closes", value=f"{stamp(state.deadline)} ({stamp(state.deadline, 'T')})"
    )
    embed.add_field(
        name="🎯 Rules", value="One answer each; the answer is revealed at the deadline."
    )
    embed.set_footer(text="Everyone can answer · 💡 Hint halves your points")
    buttons: list[discord.ui.Item] = [
        components.LiveAnswer(state.id, letter) for letter in problem.choices
    ]
    buttons.append(components.LiveHint(state.id))
    content = f"Posted by {posted_by}" if posted_by else None
    return Screen(content=content, embeds=[embed], buttons=buttons)


def live_closed(
    state: LiveState,
    pack: Pack,
    results: LiveResults,
    first_right: str | None,
    real: RealOutput | None,
) -> Screen:
    problem = pack.problem(state.problem_id)
    widest = max([*results.counts.values(), 1])
    bars = []
    for letter, count in results.counts.items():
        bar = "█" * round(8 * count / widest) if count else ""
        mark = " ✅" if letter == results.answer else ""
        bars.append(f"`{letter}` {bar} {count}{mark}")
    parts = [problem_text(problem), f"**Answer: {problem.answer}.** {problem.answer_text}"]
    if real is not None:
        parts.append(real_output_text(real))
    parts.append(solution_text(problem))
    embed = discord.Embed(
        title=f"🔔 Live question closed · {heading(problem)}",
        description=clip("\n\n".join(parts), DESCRIPTION_MAX),
        colour=GREEN,
    )
    embed.add_field(name="Answers", value="\n".join(bars) or "—")
    if first_right:
        right = f"{first_right} was first · {results.correct}/{results.total} right"
    elif results.total:
        right = f"Nobody got it right ({plural(results.total, 'answer')})."
    else:
        right = "Nobody answered."
    embed.add_field(name="🥇 First right", value=right)
    embed.set_footer(text="Closed · points count on the leaderboard")
    return Screen(embeds=[embed], buttons=[])


def locked_in(letter: str, deadline: float) -> str:
    return f"🔒 Locked in **{letter}**. The answer is revealed {stamp(deadline)}."


def hint(text: str) -> str:
    return f"💡 **Hint:** {text}\n-# Using the hint halves your points on this question."


# --- boards and records ---------------------------------------------------------------------


def leaderboard(board: Leaderboard, me: int | None) -> discord.Embed:
    lines = []
    for row in board.rows:
        medal = {1: "🥇", 2: "🥈", 3: "🥉"}.get(row.rank, f"`{row.rank:>2}.`")
        name = f"**{row.name}**" if row.user_id == me else row.name
        lines.append(
            f"{medal} {name} — {row.points} pts · {row.correct}/{row.answered} ({row.accuracy:.0%})"
        )
    if not lines:
        lines.append("No answers yet. Start with `/lrquiz challenge`.")
    own = board.own
    if own is not None and all(row.user_id != own.user_id for row in board.rows):
        lines.append(
            f"…\n`{own.rank:>2}.` **{own.name}** — {own.points} pts · "
            f"{own.correct}/{own.answered} ({own.accuracy:.0%}) (you)"
        )
    return discord.Embed(
        title=f"🏆 Leaderboard — {PERIOD_TITLES[board.period]}",
        description="\n".join(lines),
        colour=GOLD,
    )


def _accuracy(acc: Accuracy) -> str:
    return f"{acc.correct}/{acc.answered} ({acc.ratio:.0%})" if acc.answered else "—"


def streak_text(days: int) -> str:
    return f"🔥 {plural(days, 'day')}" if days else "No current streak"


def stats(view: StatsView, streak: int | None = None) -> discord.Embed:
    description = f"**{view.points}** points · {_accuracy(view.overall)} correct overall"
    if streak is not None:
        description += f"\n**Daily streak:** {streak_text(streak)}"
    embed = discord.Embed(title=f"📊 {view.name}", description=description, colour=BLURPLE)
    embed.add_field(
        name="By kind",
        value="\n".join(f"{KIND_LABELS[k]}: {_accuracy(a)}" for k, a in view.by_kind.items()),
    )
    embed.add_field(
        name="By difficulty",
        value="\n".join(f"{d.capitalize()}: {_accuracy(a)}" for d, a in view.by_difficulty.items()),
    )
    embed.add_field(name="Badges", value=badge_lines(view.badges) or "None yet.", inline=False)
    return embed


def badge_lines(earned: Iterable[tuple[Badge, int]]) -> str:
    return "\n".join(
        f"{b.emoji} **{b.name}**" + (f" ×{n}" if n > 1 else "") + f" — {b.description}"
        for b, n in earned
    )


def badges(
    earned: list[tuple[Badge, int]], available: list[Badge], streak: int | None = None
) -> discord.Embed:
    have = {b.id for b, _ in earned}
    embed = discord.Embed(title="🎖️ Badges", colour=GOLD)
    if streak is not None:
        embed.description = f"**Daily streak:** {streak_text(streak)}"
    embed.add_field(name="Earned", value=badge_lines(earned) or "None yet.", inline=False)
    todo = [f"{b.emoji} **{b.name}** — {b.description}" for b in available if b.id not in have]
    if todo:
        embed.add_field(name="Still to earn", value=clip("\n".join(todo), FIELD_MAX), inline=False)
    return embed


# --- daily challenges -----------------------------------------------------------------------


def daily_rules(pack: Pack, daily: Daily) -> str:
    """The challenge rules as they apply to the day's problems (from the engine's rules)."""
    rules = rules_for("challenge")
    problems = [pack.problem(pid) for pid in daily.problem_ids]
    limits = sorted({p.time_limit_s for p in problems})
    tries = sorted({rules.attempts or p.attempts for p in problems})
    parts = []
    if rules.timed:
        time = clock_text(limits[0]) if len(limits) == 1 else f"up to {clock_text(limits[-1])}"
        parts.append(f"⏱ {time} per question")
    parts.append(plural(tries[-1], "attempt") if len(tries) == 1 else f"up to {tries[-1]} attempts")
    if rules.hints:
        parts.append("💡 hints (halve the points)")
    parts.append("one run per member")
    return " · ".join(parts)


def _daily_lines(daily: Daily, pack: Pack) -> str:
    lines = []
    for n, problem_id in enumerate(daily.problem_ids, start=1):
        problem = pack.problem(problem_id)
        title = f" — {problem.title}" if problem.title else ""
        lines.append(f"`{n}.` {heading(problem)}{title}")
    return clip("\n".join(lines), FIELD_MAX)


def daily_card(daily: Daily, pack: Pack) -> Screen:
    """The public card: the day's problems (headings only), the rules, Start and Leaderboard."""
    embed = discord.Embed(
        title=f"📅 Daily challenge · {daily.local_date}",
        description=(
            f"Today's {plural(len(daily.problem_ids), 'problem')} from **{pack.title}**. "
            "Press **Start** for your own timed run; only you see it."
        ),
        colour=BLURPLE,
    )
    embed.add_field(name="Problems", value=_daily_lines(daily, pack), inline=False)
    embed.add_field(name="🎯 Rules", value=daily_rules(pack, daily), inline=False)
    embed.add_field(name="⏳ Closes", value=f"{stamp(daily.ends_at)} ({stamp(daily.ends_at, 'f')})")
    embed.set_footer(text=f"Midnight {daily.timezone} ends the day · streaks count daily runs")
    return Screen(
        embeds=[embed],
        buttons=[components.DailyStart(daily.id), components.DailyBoard(daily.id)],
    )


def daily_closed(daily: Daily, pack: Pack, summary: DailySummary) -> Screen:
    """The card once the day is over: who played, perfect runs, badges, the hardest question."""
    embed = discord.Embed(
        title=f"📅 Daily challenge · {daily.local_date} · closed",
        description=f"The day's problems from **{pack.title}**, and how the server did.",
        colour=GREEN if summary.participants else GREY,
    )
    embed.add_field(name="Problems", value=_daily_lines(daily, pack), inline=False)
    played = f"{summary.participants} ({summary.completed} finished)"
    embed.add_field(name="👥 Participants", value=played if summary.participants else "Nobody")
    embed.add_field(name="💯 Perfect runs", value=str(summary.perfect))
    embed.add_field(name="🎖️ Badges earned", value=str(summary.badges))
    if summary.hardest_problem_id is not None:
        problem = pack.problem(summary.hardest_problem_id)
        number = daily.problem_ids.index(problem.id) + 1
        rate = summary.hardest_correct_rate or 0.0
        embed.add_field(
            name="🧗 Hardest question",
            value=(
                f"`{number}.` {heading(problem)}"
                + (f" — {problem.title}" if problem.title else "")
                + f"\n{rate:.0%} got it right · answer **{problem.answer}**: "
                + clip(problem.answer_text, 300)
            ),
            inline=False,
        )
    embed.set_footer(text="Closed · points count on the leaderboard")
    return Screen(embeds=[embed], buttons=[])


def daily_start_note(daily: Daily, resumed: bool) -> str:
    if resumed:
        return f"📅 Daily challenge · {daily.local_date} — resuming your run."
    return f"📅 Daily challenge · {daily.local_date} — good luck!"


def badge_announcement(mention: str, earned: Iterable[Badge]) -> str:
    return "\n".join(f"🎖️ {mention} earned {b.emoji} **{b.name}** — {b.description}" for b in earned)


# --- admin ----------------------------------------------------------------------------------


def schedules(items: list[StoredSchedule], now: float) -> discord.Embed:
    embed = discord.Embed(title="🗓️ Schedules", colour=BLURPLE)
    lines = []
    for item in items:
        state = "⏸️ paused" if item.paused else f"next {stamp(next_occurrence(item.spec, now).at)}"
        lines.append(f"`{item.id}` · <#{item.channel_id}> · {item.spec.describe()} · {state}")
    embed.description = (
        clip("\n".join(lines), DESCRIPTION_MAX)
        if lines
        else ("No schedules yet. Add one with `/lrquiz-admin schedule add`.")
    )
    return embed


HELP_TEXT = """\
Timed multiple-choice PyTorch problems on **learning-rate differentials** \
(per-parameter-group learning rates, layer-wise decay, freezing, fine-tuning).

**Play** (only you see your run)
`/lrquiz challenge` — 5 problems, one per kind, 2:00 each, 2 attempts, hints, points
`/lrquiz test` — 10 questions easy → hard, 2:00 each, 1 attempt, no hints, points
`/lrquiz practice` — 5 untimed problems with full solutions, no points
`/lrquiz learn` — the concept first, then practice

**Records**
`/lrquiz leaderboard [period]` — day, week, month or all time
`/lrquiz stats [member]` — accuracy by kind and difficulty, points, badges
`/lrquiz badges` — what you have earned and what is left

Answer with the **A–D** buttons; **💡 Hint** halves the points of that question. \
Every question closes with the answer and a step-by-step solution; predict-output \
problems also show the real output of the code, run with PyTorch.
The **daily challenge** card (when your server schedules one) has a **Start** button: \
the day's 5 problems, once per member; days in a row make a streak.
Admins: `/lrquiz-admin post` posts a live question everyone can answer, \
`/lrquiz-admin schedule add` posts daily cards or live questions on a schedule."""


def help_embed() -> discord.Embed:
    return discord.Embed(title="❓ lrquiz", description=HELP_TEXT, colour=BLURPLE)
