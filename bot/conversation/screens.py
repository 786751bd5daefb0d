"""Platform-neutral screens: what to show, never how. Each renderer draws every one.

Short messages are `Notice`s of rich text: plain strings plus a few typed pieces (a
channel, a person, a moment, code) that each platform writes its own way (`<#C1>` and a
date token on Slack, `<#1>` and `<t:…:R>` on Discord, plain text in a terminal).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.engine.daily import DailySummary
from bot.engine.live import LiveResults, LiveState
from bot.engine.schedule import EVERY_DAY, WEEKDAY_NAMES
from bot.engine.stats import StatsView
from bot.engine.suggest import Suggestion
from bot.engine.views import QuestionView, RevealView, SummaryView
from bot.real_output import RealOutput
from problems.model import Badge, Pack, Problem
from storage.dailies import Daily
from storage.leaderboard import LeaderboardRow
from storage.refs import MessageRef
from storage.schedules import StoredSchedule

# --- rich text -----------------------------------------------------------------------


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Channel:
    id: str


@dataclass(frozen=True)
class Person:
    """Someone to name: mentioned on their own platform, else by their stored name."""

    platform: str
    user_id: str
    name: str


@dataclass(frozen=True)
class When:
    """A moment each reader sees in their own time zone where the platform can do that."""

    at: float
    style: Literal["relative", "long"] = "relative"


@dataclass(frozen=True)
class Link:
    """A posted message, linked where the platform has links to messages."""

    ref: MessageRef
    workspace: str


Segment = str | Bold | Code | Channel | Person | When | Link


@dataclass(frozen=True)
class Rich:
    parts: tuple[Segment, ...]

    def plain(self) -> str:
        """The text with every piece written out plainly (logs, terminal, fallbacks)."""
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, Bold | Code):
                out.append(part.text)
            elif isinstance(part, Channel):
                out.append(f"#{part.id}")
            elif isinstance(part, Person):
                out.append(part.name)
            elif isinstance(part, When):
                out.append(f"<{part.at:.0f}>")
        return "".join(out)


def rich(*parts: Segment) -> Rich:
    return Rich(tuple(parts))


# What a redelivered action is shown again is stored as data; these pieces round-trip.
_STORED = {"bold": Bold, "code": Code, "channel": Channel, "person": Person, "when": When}


def rich_to_data(text: Rich) -> list[Any]:
    out: list[Any] = []
    for part in text.parts:
        if isinstance(part, str):
            out.append(part)
        elif not isinstance(part, Link):  # a link is only useful the first time
            kind = next(k for k, cls in _STORED.items() if isinstance(part, cls))
            out.append({kind: dataclasses.asdict(part)})
    return out


def rich_from_data(data: list[Any]) -> Rich:
    parts: list[Segment] = []
    for item in data:
        if isinstance(item, str):
            parts.append(item)
        else:
            [(kind, fields)] = item.items()
            parts.append(_STORED[kind](**fields))
    return Rich(tuple(parts))


Tone = Literal["info", "ok", "warning", "error"]


@dataclass(frozen=True)
class Notice:
    """A short private message: feedback, a confirmation, or why something was refused."""

    text: Rich
    tone: Tone = "info"


RefusalReason = Literal["not-admin", "direct-message"]


@dataclass(frozen=True)
class Refusal:
    """Not allowed here; each platform says who is allowed in its own terms."""

    reason: RefusalReason


# --- runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunScreen:
    """A run as it stands: the open question, or the last reveal (and the summary at the end).

    `real` is the reveal's real PyTorch output; `output_pending` says it is still running
    and the screen will be replaced when it arrives.
    """

    session_id: str
    question: QuestionView | None = None
    reveal: RevealView | None = None
    summary: SummaryView | None = None
    real: RealOutput | None = None
    output_pending: bool = False
    note: Rich | None = None
    intro: Pack | None = None


@dataclass(frozen=True)
class SuggestionScreen:
    """Today's personal suggestions; `status` is new, started (resumes) or done."""

    local_date: str
    pack: Pack
    items: tuple[tuple[Problem, Suggestion], ...]
    status: Literal["new", "started", "done"]


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RankedRow:
    row: LeaderboardRow
    who: Person


@dataclass(frozen=True)
class LeaderboardScreen:
    period: str
    rows: tuple[RankedRow, ...]
    own: RankedRow | None = None  # the viewer's row when it is not among `rows`
    viewer: Person | None = None  # who asked: named when they have no points in the period

    @property
    def viewer_listed(self) -> bool:
        """Is the viewer one of the top rows?"""
        me = self.viewer
        return me is not None and any(
            (r.who.platform, r.who.user_id) == (me.platform, me.user_id) for r in self.rows
        )


@dataclass(frozen=True)
class StatsScreen:
    view: StatsView
    who: Person
    streak: int | None


@dataclass(frozen=True)
class BadgesScreen:
    earned: tuple[tuple[Badge, int], ...]
    available: tuple[Badge, ...]
    streak: int | None


@dataclass(frozen=True)
class HelpScreen:
    note: Rich | None = None
    admin: bool = False


def schedule_text(schedule: StoredSchedule) -> Rich:
    """What a schedule posts, where and when, e.g. in a confirmation or the list."""
    spec = schedule.spec
    days = (
        "every day"
        if spec.weekdays == EVERY_DAY
        else ",".join(WEEKDAY_NAMES[d] for d in spec.weekdays)
    )
    what = "daily challenge card" if spec.format == "card" else "live question"
    return rich(
        f"{what} in ",
        Channel(schedule.channel_id),
        f" at {spec.time_of_day} {spec.timezone}, {days}, pack ",
        Code(spec.pack_id),
    )


@dataclass(frozen=True)
class SchedulesScreen:
    items: tuple[tuple[StoredSchedule, float | None], ...]  # and each one's next posting


# --- Edit & run ------------------------------------------------------------------------


@dataclass(frozen=True)
class EditorScreen:
    """An editor to open (a modal, $EDITOR) prefilled with `code`; what the learner submits
    comes back as a `RunSnippet` carrying `session_id` and `index`. Not a message: ports
    open it with `Replier.open_editor`."""

    title: str
    code: str
    max_chars: int
    session_id: str | None = None
    index: int | None = None


SNIPPET_STATUS = {
    "ok": "✅ ran fine",
    "error": "❌ raised an error",
    "timeout": "⏱️ timed out",
    "memory": "🧱 ran out of memory",
    "output_limit": "📜 printed too much",
}


@dataclass(frozen=True)
class SnippetOutcome:
    """How one snippet run ended, or why there was no run (`available` False)."""

    available: bool
    status: str = ""
    stdout: str = ""
    stderr: str = ""
    duration_ms: float | None = None
    truncated: bool = False  # the runner itself capped the output
    torch_version: str = ""
    reason: str = ""

    @property
    def verdict(self) -> str:
        """e.g. "❌ raised an error in 38 ms", the same words on every platform."""
        label = SNIPPET_STATUS.get(self.status, self.status)
        took = f" in {self.duration_ms:,.0f} ms" if self.duration_ms is not None else ""
        return label + took


# The words every platform uses around a snippet's result.
NOT_RUN = "Your run did not happen"
RUNNER_CAPPED = "The runner cut the output at its 64 KB cap."
PRIVATE_RUN = "Only you can see this · your code is not kept, only its hash"
RUNNING = "⏳ Running it in PyTorch…"  # a problem's code for the reveal, or a snippet


def trimmed(output: str, room: int | None, keep_end: bool = False) -> str:
    """At most `room` characters of output (all of it for None), saying how much was cut
    (each platform has its own room); a traceback keeps its end, where the error is."""
    output = output.rstrip("\n")
    if room is None or len(output) <= room:
        return output
    note = f"… ({len(output) - room:,} more characters not shown)"
    return note + "\n" + output[-room:] if keep_end else output[:room] + "\n" + note


@dataclass(frozen=True)
class SnippetRefused:
    """A submission refused before it ran (too long, a limit, switched off). `reopen`
    offers the editor again with exactly the learner's text (kept as their draft)."""

    reason: Rich
    reopen: bool = True


@dataclass(frozen=True)
class SnippetResultScreen:
    """The learner's run beside the question's original output (None outside a question)."""

    title: str
    outcome: SnippetOutcome
    original: RealOutput | None = None
    from_question: bool = False


# --- public posts ----------------------------------------------------------------------


@dataclass(frozen=True)
class LiveQuestionScreen:
    state: LiveState
    problem: Problem
    posted_by: Person | None = None


@dataclass(frozen=True)
class LiveClosedScreen:
    state: LiveState
    problem: Problem
    results: LiveResults
    first: Person | None
    real: RealOutput | None
    output_pending: bool = False


@dataclass(frozen=True)
class DailyCardScreen:
    daily: Daily
    pack: Pack


@dataclass(frozen=True)
class DailyClosedScreen:
    daily: Daily
    pack: Pack
    summary: DailySummary
    hardest: Problem | None


@dataclass(frozen=True)
class BadgeAnnouncement:
    who: Person
    badges: tuple[Badge, ...] = field(default_factory=tuple)


Screen = (
    Notice
    | Refusal
    | RunScreen
    | SuggestionScreen
    | LeaderboardScreen
    | StatsScreen
    | BadgesScreen
    | HelpScreen
    | SchedulesScreen
    | LiveQuestionScreen
    | LiveClosedScreen
    | DailyCardScreen
    | DailyClosedScreen
    | BadgeAnnouncement
    | SnippetRefused
    | SnippetResultScreen
)
