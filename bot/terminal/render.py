"""The conversation's neutral screens as rich renderables for a terminal.

rich wraps every paragraph at the console's width (80 when output is a pipe) on word
boundaries, measures emoji and wide characters when it aligns tables, and drops colour by
itself when stdout is not a terminal, so one renderer serves a player and a script. Table
cells carry no emoji: terminals disagree about the width of emoji with a variation
selector (🖨️, 🎛️), and one such cell would push its row a column off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.padding import Padding
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from bot.conversation import layout as lo
from bot.conversation import screens as sc
from bot.conversation.screens import (
    BadgesScreen,
    Bold,
    Channel,
    Code,
    HelpScreen,
    LeaderboardScreen,
    Link,
    Notice,
    Person,
    RankedRow,
    Refusal,
    Rich,
    RunScreen,
    Screen,
    SnippetRefused,
    SnippetResultScreen,
    StatsScreen,
    SuggestionScreen,
    When,
    trimmed,
)
from bot.engine.modes import rules_for
from bot.engine.scoring import points_for
from bot.engine.stats import StatsView
from bot.engine.views import QuestionView, RevealView, SummaryView
from bot.labels import KIND_LABELS, PERIOD_TITLES, clock_text
from bot.real_output import RealOutput
from problems.model import Badge, Pack

HELP = "Type A, B, C or D to answer, h for a hint, q to quit."
RUNNING = sc.RUNNING  # printed by the deliverer while a reveal's real output runs
GUTTER = "    │ "
# Names longer than this are cut with "…" so the leaderboard's columns stay put.
NAME_WIDTH = 24
TONE_STYLES = {"info": "", "ok": "green", "warning": "yellow", "error": "bold red"}


def kind_name(kind: str) -> str:
    """A kind's label without its emoji, for table cells (see the module docstring)."""
    return KIND_LABELS[kind].split(" ", 1)[1]


class CodeBlock:
    """Highlighted (with line numbers) on a colour terminal; a plain `│` gutter otherwise,
    so piped output stays greppable and copy-pastable."""

    def __init__(self, code: str, output: bool = False) -> None:
        self.code = code.rstrip("\n")
        self.output = output  # what a program printed: no Python colours, no line numbers

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if console.color_system is not None and console.is_terminal:
            lexer = "text" if self.output else "python"
            syntax = Syntax(self.code, lexer, line_numbers=not self.output, word_wrap=True)
            yield Padding(syntax, (0, 0, 0, 2))
            return
        room = max(10, options.max_width - len(GUTTER))
        for line in self.code.splitlines() or [""]:
            # Code cannot be word-wrapped; a long line is folded, each piece in the gutter.
            pieces = [line[i : i + room] for i in range(0, len(line), room)] or [""]
            for piece in pieces:
                yield Text.assemble(GUTTER, piece)


def text_of(rich_text: Rich, style: str = "") -> Text:
    """The conversation's rich text with bold and code kept; moments in local time."""
    out = Text(style=style)
    for part in rich_text.parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Bold):
            out.append(part.text, "bold")
        elif isinstance(part, Code):
            out.append(part.text, "cyan")
        elif isinstance(part, Person):
            out.append(part.name, "bold")
        elif isinstance(part, Channel):
            out.append(f"#{part.id}")
        elif isinstance(part, When):
            out.append(moment(part))
        elif isinstance(part, Link):
            out.append("(message)")
    return out


def moment(when: When) -> str:
    if when.style == "long":
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(when.at))
    left = when.at - time.time()
    return f"in {clock_text(left)}" if left > 0 else time.strftime("%H:%M", time.localtime(when.at))


def labelled(rows: Iterable[tuple[str, RenderableType]], indent: int = 2) -> Table:
    """Label + text rows whose text wraps under itself (a hanging indent)."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(" " * indent + label, value)
    return grid


# --- runs ----------------------------------------------------------------------------


def difficulty(view: QuestionView) -> str:
    """The one difficulty scale players see: the one points follow."""
    level = view.problem.difficulty
    if rules_for(view.mode).scored:
        return f"{level} · {points_for(level, 1, False)} points"
    return level


def question(view: QuestionView) -> Group:
    problem = view.problem
    parts: list[RenderableType] = [
        Rule(style="dim"),
        Text(
            f"Question {view.number}/{view.total} · {KIND_LABELS[problem.kind]} · "
            f"{difficulty(view)}",
            style="bold",
        ),
    ]
    if problem.title:
        parts.append(Text(problem.title, style="bold cyan"))
    parts += [Text(""), Text(problem.prompt)]
    if problem.code:
        parts += [Text(""), CodeBlock(problem.code)]
    parts.append(Text(""))
    parts.append(labelled((f"{letter}.", Text(text)) for letter, text in problem.choices.items()))
    if view.hint_used:
        parts += [Text(""), hint(view)]
    return Group(*parts)


def hint(view: QuestionView) -> Text:
    return Text.assemble(("💡 Hint: ", "bold yellow"), view.problem.hint)


def status(view: QuestionView, now: float) -> Text:
    """Time left, attempts left, what was tried and the keys: shown after every change."""
    parts = []
    left = view.seconds_left(now)
    if left is not None:
        parts.append(f"⏱ {clock_text(left)} remaining")
    noun = "attempt" if view.attempts_left == 1 else "attempts"
    parts.append(f"{view.attempts_left} {noun} left")
    if view.tried:
        parts.append("tried " + ", ".join(view.tried))
    keys = "A-D answer" + (" · h hint" if view.hints_allowed else "") + " · q quit"
    parts.append(keys)
    return Text(" · ".join(parts), style="dim")


def verdict(view: RevealView) -> Text:
    return Text(lo.outcome(view), style="bold")


def reveal(view: RevealView, real: RealOutput | None = None, pending: bool = False) -> Group:
    worked = lo.worked_answer(view.problem, real, pending, view.tried)
    return Group(verdict(view), *laid_out(worked))


# How much of each kind of output is printed (what the question's code printed, in full).
OUTPUT_ROOMS: dict[lo.OutputRole, int | None] = {
    "real": None,
    "original": None,
    "stdout": 8000,
    "stderr": 4000,
}


def laid_out(layout: lo.Layout) -> list[RenderableType]:
    """A layout's sections a blank line apart."""
    parts: list[RenderableType] = []
    for section in layout:
        parts += [Text("")] if parts else []
        parts += section_parts(section)
    return parts


def section_parts(section: lo.Section) -> list[RenderableType]:
    """What stands under a heading is indented under it, a caption's list further still;
    output keeps its gutter, and what a program printed has its control characters shown."""
    parts: list[RenderableType] = []
    indent = 0
    for piece in section:
        pad = " " * indent
        if isinstance(piece, lo.Heading):
            parts.append(Text(pad + piece.text, style="bold"))
            indent += 2
        elif isinstance(piece, lo.Line):
            parts.append(Text(pad) + text_of(piece.text))
        elif isinstance(piece, lo.Field):
            parts.append(labelled([(f"{piece.label}:", text_of(piece.text))], indent))
        elif isinstance(piece, lo.Items):
            under = indent + 2 if piece.caption else indent
            if piece.caption:
                parts.append(Text(f"{pad}{piece.caption}:", style="bold"))
            parts.append(labelled(((m, text_of(e)) for m, e in piece.marked()), under))
        elif isinstance(piece, lo.Aside):
            parts.append(Text(pad + piece.text, style="dim"))
        else:
            note = f" {piece.note}" if piece.note else ""
            parts.append(Text(f"{pad}{piece.caption}{note}:", style="bold"))
            if piece.missing:
                parts.append(Text(f"    ({printable(piece.missing)})"))
            else:
                shown = trimmed(piece.text, OUTPUT_ROOMS[piece.role], piece.keep_end)
                parts.append(CodeBlock(printable(shown), output=True))
    return parts


def summary(view: SummaryView) -> Group:
    title = Text(f"{lo.summary_title(view)} · {view.pack_title}", style="bold")
    return Group(Rule(style="dim"), title, *laid_out(lo.summary(view)))


def intro(pack: Pack) -> Group:
    return Group(Rule(style="dim"), Text(f"📘 {pack.title}", style="bold"), Text(""),
                 Text(pack.summary.strip()), Text(""))  # fmt: skip


def run(screen: RunScreen, now: float, with_status: bool = True) -> Group:
    """A whole run screen, as printed when nothing of it is on the screen yet."""
    parts: list[RenderableType] = []
    if screen.intro is not None:
        parts.append(intro(screen.intro))
    if screen.question is not None:
        parts.append(question(screen.question))
        if screen.note is not None:
            parts.append(text_of(screen.note))
        if with_status:
            parts += [Text(""), status(screen.question, now)]
        return Group(*parts)
    if screen.note is not None:
        parts.append(text_of(screen.note, "yellow"))
    if screen.reveal is not None:
        parts.append(reveal(screen.reveal, screen.real, screen.output_pending))
    if screen.summary is not None:
        parts.append(summary(screen.summary))
    return Group(*parts)


# --- records -------------------------------------------------------------------------


def percent(ratio: float) -> str:
    return f"{ratio:.0%}"


def stats(screen: StatsScreen) -> RenderableType:
    view = screen.view
    if view.overall.answered == 0 and not view.badges:
        return Text(f"{screen.who.name} has not played here yet. Start with: lrquiz play")
    parts: list[RenderableType] = [
        Text(
            f"📊 {screen.who.name}: {view.points} points, "
            f"{view.overall.correct}/{view.overall.answered} correct "
            f"({percent(view.overall.ratio)})",
            style="bold",
        )
    ]
    if screen.streak is not None:
        parts.append(streak(screen.streak))
    for title, rows in (
        ("By kind:", [(kind_name(k), a) for k, a in view.by_kind.items()]),
        ("By difficulty:", list(view.by_difficulty.items())),
    ):
        table = Table(box=None, padding=(0, 2), show_edge=False, pad_edge=False)
        table.add_column(title, no_wrap=True)
        table.add_column("right", justify="right", no_wrap=True)
        table.add_column("answered", justify="right", no_wrap=True)
        table.add_column("accuracy", justify="right", no_wrap=True)
        for label, acc in rows:
            ratio = percent(acc.ratio) if acc.answered else "–"
            table.add_row(label, str(acc.correct), str(acc.answered), ratio)
        parts.append(Padding(table, (1, 0, 0, 0)))
    learned = learning(view)
    if learned:
        parts.append(Padding(Group(*learned), (1, 0, 0, 0)))
    parts.append(Padding(badge_list(view.badges), (1, 0, 0, 0)))
    return Group(*parts)


def learning(view: StatsView) -> list[Text]:
    """Mastery per topic, the weakest topic and spaced review, once there are answers."""
    lines = []
    if view.mastery:
        lines.append(Text("Mastery by topic (predicted share right):"))
        lines += [
            Text(f"  {m.topic}: {percent(m.success)}, {lo.plural(m.answers, 'answer')}")
            for m in view.mastery
        ]
    if view.weakest is not None:
        lines.append(Text(f"Weakest topic: {view.weakest.topic} (lrquiz play --mode review)"))
        lines.append(Text("Today's 3 problems picked for you: lrquiz suggest"))
    if view.cards:
        recall = (
            f" · predicted recall {percent(view.predicted_recall)}"
            if view.predicted_recall is not None
            else ""
        )
        lines.append(Text(f"Reviews due: {view.reviews_due} of {view.cards} cards{recall}"))
    return lines


def suggestion(screen: SuggestionScreen) -> RenderableType:
    """Today's personal set, why each was picked, and how to play it here."""
    lines = [Text(f"🎯 Today's suggestions for you ({screen.local_date}):", style="bold")]
    for number, (problem, why) in enumerate(screen.items, start=1):
        title = problem.title or problem.id
        lines.append(
            Text(
                f"  {number}. {kind_name(problem.kind)} · {problem.level or problem.difficulty}"
                f" — {title}\n     {lo.why_suggested(why)}"
            )
        )
    if screen.status == "done":
        lines.append(Text("✅ Done for today. New suggestions tomorrow.", style="green"))
    else:
        verb = "Resume" if screen.status == "started" else "Start"
        lines.append(Text(f"{verb} them with: lrquiz play --mode suggested"))
    return Group(*lines)


def streak(days: int) -> Text:
    return Text(f"🔥 Daily streak: {days} day{'s' if days != 1 else ''}")


def badge_list(earned: Iterable[tuple[Badge, int]]) -> RenderableType:
    earned = list(earned)
    if not earned:
        return Text("No badges yet. A perfect challenge earns the first one.")
    lines = [Text("Badges:")]
    for badge, times in earned:
        extra = f" ×{times}" if times > 1 else ""
        lines.append(Text(f"  {badge.emoji} {badge.name}{extra} — {badge.description}"))
    return Group(*lines)


def badges(screen: BadgesScreen) -> RenderableType:
    parts: list[RenderableType] = [badge_list(screen.earned)]
    owned = {badge.id for badge, _ in screen.earned}
    todo = [b for b in screen.available if b.id not in owned]
    if todo:
        parts += [Text(""), Text("Still to earn:")]
        parts += [Text(f"  {b.emoji} {b.name} — {b.description}") for b in todo]
    if screen.streak is not None:
        parts += [Text(""), streak(screen.streak)]
    return Group(*parts)


def leaderboard(screen: LeaderboardScreen) -> RenderableType:
    title = Text(f"🏆 Leaderboard — {PERIOD_TITLES[screen.period]}", style="bold")
    if not screen.rows:
        return Group(title, Text("No answers yet. Play with: lrquiz play"))
    table = Table.grid(padding=(0, 2))
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=NAME_WIDTH)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(no_wrap=True)
    rows: list[RankedRow] = list(screen.rows)
    for ranked in rows:
        table.add_row(*board_row(ranked))
    if screen.own is not None:
        table.add_row("…", "", "", "")
        table.add_row(*board_row(screen.own))
    return Group(title, table)


def board_row(ranked: RankedRow) -> tuple[str, str, str, str]:
    row = ranked.row
    return (
        f"{row.rank}.",
        ranked.who.name or row.name,
        f"{row.points} pts",
        f"{row.correct}/{row.answered} correct ({percent(row.accuracy)})",
    )


def board_json(screen: LeaderboardScreen) -> dict[str, object]:
    return {
        "period": screen.period,
        "rows": [
            {
                "rank": r.row.rank,
                "name": r.row.name,
                "points": r.row.points,
                "correct": r.row.correct,
                "answered": r.row.answered,
                "accuracy": round(r.row.accuracy, 4),
            }
            for r in screen.rows
        ],
    }


def help_screen(screen: HelpScreen) -> RenderableType:
    parts: list[RenderableType] = []
    if screen.note is not None:
        parts.append(text_of(screen.note))
    parts.append(Text(HELP))
    return Group(*parts)


# --- Edit & run ------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def printable(output: str) -> str:
    """What a snippet printed, with control characters (ANSI escapes, bells, carriage
    returns) written out, so output can neither restyle nor rewrite the player's screen."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", output)


def snippet_result(shown: SnippetResultScreen) -> Group:
    title = Text(f"▶ {shown.title}", style="bold")
    return Group(Rule(style="dim"), title, *laid_out(lo.snippet_result(shown)))


def screen(shown: Screen, now: float) -> RenderableType:
    """Any screen the conversation sends a terminal player."""
    if isinstance(shown, RunScreen):
        return run(shown, now)
    if isinstance(shown, Notice):
        return text_of(shown.text, TONE_STYLES[shown.tone])
    if isinstance(shown, StatsScreen):
        return stats(shown)
    if isinstance(shown, BadgesScreen):
        return badges(shown)
    if isinstance(shown, LeaderboardScreen):
        return leaderboard(shown)
    if isinstance(shown, HelpScreen):
        return help_screen(shown)
    if isinstance(shown, SuggestionScreen):
        return suggestion(shown)
    if isinstance(shown, Refusal):
        return Text("That is not available in the terminal.", style="yellow")
    if isinstance(shown, SnippetResultScreen):
        return snippet_result(shown)
    if isinstance(shown, SnippetRefused):
        return text_of(shown.reason, "yellow")
    return Text(type(shown).__name__)  # public posts never reach a terminal
