"""Laid-out text: which parts a screen shows, and in what order, decided once for every
platform.

A layout is a tuple of sections, each a tuple of typed pieces (a heading, a labelled field,
a list, a block of output, an aside) holding rich text. Each renderer writes the pieces in
its own syntax (Block Kit mrkdwn, Discord markdown, rich in a terminal) and its own room,
and never reorders, adds or drops one: a reveal's worked answer, a snippet's result and the
end of a run read the same on Slack, Discord and the terminal. The smaller decisions beside
them (a problem's heading, the daily card's rules, the commands help lists) live here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.engine.modes import rules_for
from bot.engine.stats import Accuracy
from bot.engine.suggest import Suggestion
from bot.engine.views import RevealView, SummaryView
from bot.labels import KIND_LABELS, OUTCOME_LABELS, PERIOD_TITLES, SUGGESTION_REASONS, clock_text
from bot.real_output import RealOutput
from problems.model import Badge, Problem

from .screens import (
    NOT_RUN,
    RUNNER_CAPPED,
    RUNNING,
    BadgesScreen,
    Bold,
    Code,
    LeaderboardScreen,
    RankedRow,
    Rich,
    SnippetResultScreen,
    StatsScreen,
    rich,
)


@dataclass(frozen=True)
class Heading:
    """Names the section it opens ("Solution"); what follows in the section is under it."""

    text: str


@dataclass(frozen=True)
class Line:
    text: Rich


@dataclass(frozen=True)
class Field:
    """A labelled value: "Final answer: …", "Your run: …"."""

    label: str
    text: Rich


@dataclass(frozen=True)
class Items:
    """A list of numbered steps or bullets, under its caption when it has one."""

    entries: tuple[Rich, ...]
    numbered: bool = False
    caption: str = ""

    def marked(self) -> list[tuple[str, Rich]]:
        """Each entry with its marker: "1.", "2.", … or a bullet."""
        if self.numbered:
            return [(f"{n}.", entry) for n, entry in enumerate(self.entries, start=1)]
        return [("•", entry) for entry in self.entries]


OutputRole = Literal["real", "original", "stdout", "stderr"]


@dataclass(frozen=True)
class Output:
    """What a program printed, under its caption, in a block of its own; or, when there is
    nothing to show, why not (`missing`) in the block's place. Each platform trims `text`
    to its own room for the `role`, saying how much it cut."""

    caption: str
    role: OutputRole
    text: str = ""
    note: str = ""  # beside the caption, e.g. whose code printed it
    missing: str = ""

    @property
    def keep_end(self) -> bool:
        """A traceback keeps its end, where the error is."""
        return self.role == "stderr"


@dataclass(frozen=True)
class Aside:
    """A quiet remark: what the learner tried, that the output is on its way, a cap hit."""

    text: str


Piece = Heading | Line | Field | Items | Output | Aside
Section = tuple[Piece, ...]
Layout = tuple[Section, ...]


# --- a reveal's worked answer ------------------------------------------------------------


def outcome(view: RevealView) -> str:
    """How the question ended and what it scored, e.g. "✅ Correct! +30 points"."""
    line = OUTCOME_LABELS.get(view.outcome, view.outcome)
    if view.outcome == "correct" and view.points:
        line += f" +{view.points} points" + (" (hint used)" if view.hint_used else "")
    if view.repeat:
        line += " (no points: you already scored this problem this week)"
    return line


def answer_key(problem: Problem, tried: tuple[str, ...] = ()) -> Section:
    key: Section = (Line(rich(Bold(f"Answer: {problem.answer}."), " ", problem.answer_text)),)
    return (*key, Aside(f"You answered {', '.join(tried)}.")) if tried else key


def real_output(real: RealOutput | None, pending: bool = False) -> Section:
    """The problem's code as PyTorch really ran it, that it is still running, or nothing."""
    if pending:
        return (Aside(RUNNING),)
    if real is None:
        return ()
    if not real.available:
        return (Output(real.heading, "real", missing=real.reason),)
    return (Output(real.heading, "real", real.text),)


def solution(problem: Problem) -> Section:
    worked = problem.solution
    pieces: list[Piece] = [
        Heading("Solution"),
        Items(tuple(rich(step) for step in worked.steps), numbered=True),
        Field("Final answer", rich(worked.final)),
    ]
    if worked.quick_check:
        pieces.append(Field("Quick check", rich(worked.quick_check)))
    if worked.common_mistakes:
        mistakes = tuple(rich(m) for m in worked.common_mistakes)
        pieces.append(Items(mistakes, caption="Common mistakes"))
    return tuple(pieces)


def worked_answer(
    problem: Problem,
    real: RealOutput | None = None,
    pending: bool = False,
    tried: tuple[str, ...] = (),
) -> Layout:
    """What every closed question shows: the key, the real output, then the solution."""
    sections = (answer_key(problem, tried), real_output(real, pending), solution(problem))
    return tuple(section for section in sections if section)


# --- a snippet's result ------------------------------------------------------------------


def snippet_result(screen: SnippetResultScreen) -> Layout:
    """The question's original output first (when run from a question), then the learner's
    run: its verdict, stdout, stderr (when there is any) and whether the runner cut it."""
    sections: list[Section] = []
    original = screen.original
    if original is not None:
        if original.available:
            shown = Output("Original output", "original", original.text, "(the question's code)")
        else:
            shown = Output("Original output unavailable", "original", missing=original.reason)
        sections.append((shown,))
    outcome = screen.outcome
    if not outcome.available:
        sections.append((Field(NOT_RUN, rich(f"{outcome.reason}.")),))
        return tuple(sections)
    verdict = f"{outcome.verdict} · PyTorch {outcome.torch_version}"
    sections.append((Field("Your run", rich(verdict)),))
    sections.append((Output("stdout", "stdout", outcome.stdout.rstrip("\n") or "(nothing)"),))
    if outcome.stderr.strip():
        sections.append((Output("stderr", "stderr", outcome.stderr),))
    if outcome.truncated:
        sections.append((Aside(RUNNER_CAPPED),))
    return tuple(sections)


# --- the end of a run ---------------------------------------------------------------------


def summary_title(view: SummaryView) -> str:
    return f"{view.mode.capitalize()} {'finished' if view.completed else 'ended early'}"


def summary(view: SummaryView) -> Layout:
    """The score, the points when the mode scores, and each badge the run earned."""
    pieces: list[Piece] = [Field("Score", rich(f"{view.correct}/{view.total} correct"))]
    if view.scored:
        pieces.append(Field("Points", rich(str(view.points))))
    pieces += [
        Line(rich(f"{b.emoji} Badge earned: ", Bold(b.name), f" — {b.description}"))
        for b in view.badges
    ]
    return (tuple(pieces),)


# --- daily challenges ---------------------------------------------------------------------


def problem_heading(problem: Problem) -> str:
    """A problem's kind and level, e.g. "🖨️ Predict Output · intermediate"."""
    return f"{KIND_LABELS[problem.kind]} · {problem.level or problem.difficulty}"


def daily_problems(problems: Sequence[Problem]) -> Items:
    """The day's problems by heading and title, never their prompts (that is the run)."""
    entries = tuple(
        rich(problem_heading(p) + (f" — {p.title}" if p.title else "")) for p in problems
    )
    return Items(entries, numbered=True)


def daily_rules(problems: Sequence[Problem]) -> str:
    """The challenge's rules as they apply to the day's problems (the engine's rules)."""
    rules = rules_for("challenge")
    limits = sorted({p.time_limit_s for p in problems})
    tries = sorted({rules.attempts or p.attempts for p in problems})
    parts = []
    if rules.timed:
        per = clock_text(limits[0]) if len(limits) == 1 else f"up to {clock_text(limits[-1])}"
        parts.append(f"⏱ {per} per question")
    noun = "attempt" if tries[-1] == 1 else "attempts"
    parts.append(f"{tries[0]} {noun}" if len(tries) == 1 else f"up to {tries[-1]} attempts")
    if rules.hints:
        parts.append("💡 hints (halve the points)")
    parts.append("one run per member")
    return " · ".join(parts)


# --- personal suggestions -----------------------------------------------------------------


def why_suggested(why: Suggestion) -> str:
    """Why a problem is in today's set, e.g. "🎯 your weakest topic (freezing, 42% predicted)"."""
    return f"{SUGGESTION_REASONS[why.reason]} ({why.topic}, {why.success:.0%} predicted)"


def mode_rules(mode: str) -> str:
    """What a mode allows, from the engine's rules, e.g. "untimed · 1 attempt · 💡 hints"."""
    rules = rules_for(mode)
    parts = ["timed" if rules.timed else "untimed"]
    if rules.attempts:
        parts.append(f"{rules.attempts} attempt" + ("" if rules.attempts == 1 else "s"))
    parts.append("💡 hints" if rules.hints else "no hints")
    parts.append("points" if rules.scored else "no points")
    return " · ".join(parts)


SUGGESTION_RULES = mode_rules("suggested") + " · a new set every day"

# What every platform says where a player goes next: after a run, on an empty board or
# record, and under a weakest topic in stats.
PLAY_AGAIN = "Play again with `/lrquiz challenge`, `test`, `practice` or `learn`."
EMPTY_BOARD = "No answers yet. Start with `/lrquiz challenge`."
SUGGEST_POINTER = "🎯 `/lrquiz suggest`: 3 problems picked for you today"


# --- records: the leaderboard, stats and badges ------------------------------------------

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def accuracy(acc: Accuracy) -> str:
    """e.g. "3/4 correct (75%)", or "—" before any answer."""
    return f"{acc.correct}/{acc.answered} correct ({acc.ratio:.0%})" if acc.answered else "—"


def streak(days: int) -> Field:
    """The daily streak, e.g. "Daily streak: 🔥 3 days in a row"; at 0, how to start one."""
    if not days:
        return Field("Daily streak", rich("none yet — finish today's daily challenge to start one"))
    run = plural(days, "day") + (" in a row" if days > 1 else "")
    return Field("Daily streak", rich(f"🔥 {run}"))


def board_row(ranked: RankedRow) -> Line:
    """e.g. "🥇 Ann — 30 pts · 3/4 correct (75%)": medals for the top three, else the rank."""
    row = ranked.row
    rank = MEDALS.get(row.rank, f"{row.rank}.")
    played = accuracy(Accuracy(row.answered, row.correct))
    return Line(rich(f"{rank} ", ranked.who, " — ", Bold(f"{row.points} pts"), f" · {played}"))


def leaderboard(screen: LeaderboardScreen) -> Layout:
    """The top rows; below them, after "…", the viewer's own row, or that they have no points
    yet. Every line names people rather than saying "you": on Discord the board is public."""
    if not screen.rows:
        return ((Line(rich(EMPTY_BOARD)),),)
    pieces: list[Piece] = [board_row(ranked) for ranked in screen.rows]
    if screen.own is not None:
        pieces += [Line(rich("…")), board_row(screen.own)]
    elif screen.viewer is not None and not screen.viewer_listed:
        pieces.append(Line(rich(screen.viewer, " has no points in this period yet.")))
    return (tuple(pieces),)


def badge_entry(badge: Badge, times: int = 1) -> Rich:
    """e.g. "🔥 On a Roll ×2 — Daily challenges 3 days in a row.": a count only past one."""
    count = f" ×{times}" if times > 1 else ""
    return rich(f"{badge.emoji} ", Bold(badge.name), f"{count} — {badge.description}")


def _listed(caption: str, entries: tuple[Rich, ...]) -> Piece:
    return Items(entries, caption=caption) if entries else Field(caption, rich("none yet"))


def stats(screen: StatsScreen) -> Layout:
    """Points and accuracy (by kind and difficulty once there are answers), the daily
    streak, mastery by topic, review cards (a predicted recall of 0 % is shown) and badges."""
    view = screen.view
    head: list[Piece] = []
    by: list[Section] = []
    if view.overall.answered:
        head += [
            Field("Points", rich(str(view.points))),
            Field("Accuracy", rich(accuracy(view.overall))),
        ]
        kinds = tuple(rich(f"{KIND_LABELS[k]}: {accuracy(a)}") for k, a in view.by_kind.items())
        levels = tuple(
            rich(f"{d.capitalize()}: {accuracy(a)}") for d, a in view.by_difficulty.items()
        )
        by = [(Items(kinds, caption="By kind"),), (Items(levels, caption="By difficulty"),)]
    else:
        head.append(Line(rich(EMPTY_BOARD)))
    if screen.streak is not None:
        head.append(streak(screen.streak))
    learned: list[Piece] = []
    if view.mastery:
        topics = tuple(
            rich(f"{m.topic}: {m.success:.0%}, {plural(m.answers, 'answer')}") for m in view.mastery
        )
        learned.append(Items(topics, caption="Mastery by topic (predicted share right)"))
        if view.weakest is not None:
            drill = ("👉 Weakest topic: ", Bold(view.weakest.topic), " — ", Code("/lrquiz review"))
            learned += [Line(rich(*drill, " drills it")), Line(rich(SUGGEST_POINTER))]
    if view.cards:
        recall = view.predicted_recall
        due = f"{view.reviews_due} of {plural(view.cards, 'card')}"
        due += f" · predicted recall {recall:.0%}" if recall is not None else ""
        learned.append(Field("🔁 Reviews due", rich(due)))
    earned = tuple(badge_entry(b, n) for b, n in view.badges)
    sections = (tuple(head), *by, tuple(learned), (_listed("Badges", earned),))
    return tuple(section for section in sections if section)


def badges(screen: BadgesScreen) -> Layout:
    """The daily streak, the badges earned (how often, past once) and those still to earn."""
    have = {badge.id for badge, _ in screen.earned}
    earned = tuple(badge_entry(b, n) for b, n in screen.earned)
    todo = tuple(badge_entry(b) for b in screen.available if b.id not in have)
    sections: list[Section] = [(streak(screen.streak),)] if screen.streak is not None else []
    sections.append((_listed("Earned", earned),))
    if todo:
        sections.append((Items(todo, caption="Still to earn"),))
    return tuple(sections)


Record = LeaderboardScreen | StatsScreen | BadgesScreen


def record(screen: Record) -> tuple[Rich, Layout]:
    """The title and body of the leaderboard, stats or badges, for every platform."""
    if isinstance(screen, LeaderboardScreen):
        return rich(f"🏆 Leaderboard — {PERIOD_TITLES[screen.period]}"), leaderboard(screen)
    if isinstance(screen, StatsScreen):
        return rich("📊 Stats for ", screen.who), stats(screen)
    return rich("🎖️ Your badges"), badges(screen)


# --- help ---------------------------------------------------------------------------------

# Every chat platform's /lrquiz subcommands, what each does, grouped as help lists them.
COMMANDS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Play — only you see your run",
        (
            (
                "challenge",
                "5 problems, one per kind, 2:00 each, 2 attempts, hints, points and a badge",
            ),
            ("test", "10 questions easy → hard, 2:00 each, 1 attempt, no hints, points"),
            ("practice", "5 untimed problems with full solutions, no points"),
            ("learn", "the concept first, then practice"),
            ("review", "spaced review: your due cards first, then your weakest topic"),
            ("suggest", "today's 3 problems picked for you: due reviews, then your weakest topic"),
            (
                "run",
                "run your own PyTorch snippet in the sandbox; ✏️ Edit & run on a reveal opens "
                "the question's code",
            ),
        ),
    ),
    (
        "Records",
        (
            ("leaderboard [day|week|month|all]", "who leads here, by period"),
            ("stats [@user]", "points, accuracy by kind and difficulty, badges, daily streak"),
            ("badges", "what you have earned and what is left"),
            ("dashboard", "a private link to your progress on the web dashboard"),
            ("help", "this message"),
        ),
    ),
)


def commands_help() -> Layout:
    """The player's commands, a section per group; admin commands differ by platform."""
    return tuple(
        (
            Heading(title),
            Items(tuple(rich(Code(f"/lrquiz {name}"), f" — {what}") for name, what in listed)),
        )
        for title, listed in COMMANDS
    )
