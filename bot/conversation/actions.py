"""Typed actions: what a player or admin asked for, parsed from any platform's event."""

from __future__ import annotations

from dataclasses import dataclass

from storage.refs import MessageRef
from storage.users import PlayerRef


@dataclass(frozen=True)
class Actor:
    """Who acted, and where. `is_admin` is None when the platform must be asked (Slack)."""

    platform: str
    workspace: str
    user_id: str
    name: str
    channel: str = ""
    is_admin: bool | None = None
    # A direct message has no shared channel: no live questions, cards or announcements.
    direct: bool = False

    @property
    def ref(self) -> PlayerRef:
        return PlayerRef(self.platform, self.workspace, self.user_id, self.name)


# --- personal runs -------------------------------------------------------------------


@dataclass(frozen=True)
class StartRun:
    mode: str
    pack_id: str | None = None  # None: the service's default pack


@dataclass(frozen=True)
class Answer:
    session_id: str
    index: int | None
    letter: str


@dataclass(frozen=True)
class Hint:
    session_id: str
    index: int | None


@dataclass(frozen=True)
class Next:
    session_id: str


@dataclass(frozen=True)
class Quit:
    session_id: str


@dataclass(frozen=True)
class Expire:
    """A front end's own countdown ran out (the terminal): close the question if its
    deadline has passed, and show where the run stands (also how a run is resumed)."""

    session_id: str


@dataclass(frozen=True)
class ShowSuggestion:
    """Today's personal suggestions (a short study set chosen by the learning models)."""


@dataclass(frozen=True)
class StartSuggested:
    """Play today's suggestions; `local_date` is the day the clicked list was for."""

    local_date: str | None = None


# --- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowLeaderboard:
    period: str = "all"


@dataclass(frozen=True)
class ShowStats:
    """Someone's record; `user_id` None is the actor's own."""

    user_id: str | None = None
    name: str = ""


@dataclass(frozen=True)
class ShowBadges:
    pass


@dataclass(frozen=True)
class ShowDashboard:
    """A private, signed, expiring link to the web dashboard for this workspace."""


@dataclass(frozen=True)
class ShowHelp:
    """The command list; `unknown` is what the player typed that was not understood."""

    unknown: str | None = None
    admin: bool = False


@dataclass(frozen=True)
class BadInput:
    """The parser could not make sense of what was typed; `message` says what and where."""

    message: str


# --- live questions and daily cards ---------------------------------------------------


@dataclass(frozen=True)
class LiveAnswer:
    live_id: str
    letter: str


@dataclass(frozen=True)
class LiveHint:
    live_id: str


@dataclass(frozen=True)
class StartDaily:
    daily_id: str


@dataclass(frozen=True)
class DailyLeaderboard:
    daily_id: str


# --- Edit & run ------------------------------------------------------------------------


@dataclass(frozen=True)
class EditSnippet:
    """Edit & run on a reveal: open an editor holding that question's code."""

    session_id: str
    index: int


@dataclass(frozen=True)
class EditLiveSnippet:
    """Edit & run on a closed live question: its code, run as the clicker's own snippet
    (the original output is on the public post above)."""

    live_id: str


@dataclass(frozen=True)
class OpenSnippetEditor:
    """`/lrquiz run`: an editor for any snippet, outside a question."""


@dataclass(frozen=True)
class ReopenDraft:
    """Open the editor again with the text this user last submitted (their draft)."""


@dataclass(frozen=True)
class RunSnippet:
    """What an editor submitted; `session_id`/`index` say which question it came from."""

    code: str
    session_id: str | None = None
    index: int | None = None


SnippetAction = EditSnippet | EditLiveSnippet | OpenSnippetEditor | ReopenDraft | RunSnippet


# --- admin -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostLive:
    channel: str | None = None
    problem_id: str | None = None


@dataclass(frozen=True)
class PostDaily:
    channel: str | None = None
    timezone: str | None = None
    pack_id: str | None = None


@dataclass(frozen=True)
class AddSchedule:
    time_of_day: str
    timezone: str
    channel: str | None
    weekdays: str = "daily"
    pack_id: str | None = None
    format: str = "card"


@dataclass(frozen=True)
class ListSchedules:
    pass


@dataclass(frozen=True)
class ChangeSchedule:
    verb: str  # pause | resume | remove
    schedule_id: str


@dataclass(frozen=True)
class SetSnippets:
    """Edit & run on or off for the workspace; None shows whether it is on."""

    on: bool | None


@dataclass(frozen=True)
class SetAnnounce:
    """Badge announcements on or off (in `channel`, else where earned); None shows them."""

    on: bool | None
    channel: str | None = None


RunAction = Answer | Hint | Next | Quit | Expire
AdminAction = (
    PostLive | PostDaily | AddSchedule | ListSchedules | ChangeSchedule | SetAnnounce | SetSnippets
)
Action = (
    StartRun
    | RunAction
    | ShowLeaderboard
    | ShowStats
    | ShowBadges
    | ShowDashboard
    | ShowHelp
    | BadInput
    | LiveAnswer
    | LiveHint
    | StartDaily
    | DailyLeaderboard
    | ShowSuggestion
    | StartSuggested
    | SnippetAction
    | AdminAction
)


@dataclass(frozen=True)
class Envelope:
    """One delivered action: `key` is unique per user action (a redelivery repeats it);
    `reply` is the platform's handle for editing this action's answer later."""

    actor: Actor
    action: Action
    key: str | None = None
    reply: MessageRef | None = None
