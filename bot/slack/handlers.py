"""Slack events → game service calls → Block Kit replies. No game rule lives here.

Every handler acks first (Slack wants an answer within 3 seconds) and does the slow part
(storage, the runner's real output, Web API calls) afterwards, replying through the
response_url. Button values carry only ids; the state behind them is read from SQLite, so a
restart between posting and clicking changes nothing.

Daily challenges: a public card (posted by an admin or a schedule) whose Start button opens
each member's own ephemeral run, and which is edited into the day's summary when it closes.
Which problems, who may play, streaks and badges are the core's (`bot.dailies`); this file
only parses what admins type, posts, and renders.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.dailies import ClosedDaily, DailyChallenges, DailyPosting
from bot.engine.badges import badges_of
from bot.engine.errors import GameError, NotYourSession, QuestionClosed, UnknownSession
from bot.engine.live import LiveState, live_results
from bot.engine.modes import MODES, rules_for
from bot.engine.periods import PERIODS
from bot.engine.schedule import FORMATS, Occurrence, ScheduleError, next_occurrence, parse_timezone
from bot.engine.state import SessionState
from bot.engine.views import question_view, reveal_view, summary_view
from bot.real_output import Runner, fetch_real_output
from bot.scheduler import Schedules
from bot.service import GameService
from problems.model import Badge, Problem
from storage.refs import MessageRef
from storage.schedules import StoredSchedule
from storage.settings import WorkspaceSettings
from storage.users import PlayerRef

from . import blocks, ids
from .admins import AdminCheck
from .blocks import Message
from .transport import post_response_url

log = logging.getLogger(__name__)

PLATFORM = "slack"
COMMAND = "/lrquiz"
MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
# With should_escape on, Slack sends a picked channel as <#C123|name> (<#C123> or <#C123|>
# for some private channels); a bare id is accepted too.
CHANNEL_RE = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]{6,}$")
HERE = ("here", "this")
SCHEDULE_ADD_USAGE = (
    "`/lrquiz admin schedule add <HH:MM> <time-zone> <#channel> [weekdays] [pack] [card|live]`"
)
REFUSAL = (
    "🚫 /lrquiz admin is for workspace admins and owners (or users listed in "
    "LRQUIZ_SLACK_ADMINS). Ask one of them to post the question."
)
TROUBLE = "Something went wrong on our side; please try again."
POST_USAGE = (
    "Post a live question now with `/lrquiz admin post [problem-id] now`, today's daily "
    "challenge with `/lrquiz admin post daily [#channel] [time-zone]`, or post later with "
    "`/lrquiz admin schedule add …` (see `/lrquiz admin`)."
)


def parse_channel(text: str, here: str) -> str:
    """A channel id from what an admin typed; ScheduleError names anything else."""
    if text.lower() in HERE and here:
        return here
    match = CHANNEL_RE.match(text)
    if match is not None:
        return match.group(1)
    if CHANNEL_ID_RE.match(text):
        return text
    raise ScheduleError(
        f"channel {text!r} is not a channel I can read; pick it from Slack's #-autocomplete "
        "so it arrives as a link, or write `here` for this channel"
    )


def looks_like_channel(text: str) -> bool:
    return text.startswith(("<#", "#")) or text.lower() in HERE or bool(CHANNEL_ID_RE.match(text))


@dataclass(frozen=True)
class Who:
    """The person behind a command or click, and where to answer them."""

    team: str
    user: str
    name: str
    channel: str
    response_url: str

    @property
    def ref(self) -> PlayerRef:
        return PlayerRef(PLATFORM, self.team, self.user, self.name)


def command_who(body: dict[str, Any]) -> Who:
    return Who(
        team=body.get("team_id") or "",
        user=body["user_id"],
        name=body.get("user_name") or body["user_id"],
        channel=body.get("channel_id") or "",
        response_url=body.get("response_url") or "",
    )


def action_who(body: dict[str, Any]) -> Who:
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return Who(
        team=team,
        user=user["id"],
        name=user.get("username") or user.get("name") or user["id"],
        channel=channel or "",
        response_url=body.get("response_url") or "",
    )


class SlackFrontEnd:
    """The adapter's state is only its collaborators; game state stays in the service."""

    def __init__(
        self,
        service: GameService,
        client: AsyncWebClient,
        admins: AdminCheck,
        runner: Runner | None = None,
    ) -> None:
        self.service = service
        self.client = client
        self.admins = admins
        self.runner = runner
        self.dailies = DailyChallenges(service)
        self.schedules = Schedules(service, PLATFORM)
        self.poke: Callable[[], None] = lambda: None  # set by the app to wake the watcher
        # Set by the app to wake the scheduler when schedules change.
        self.poke_scheduler: Callable[[], None] = lambda: None

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.on_command)
        app.action(ids.ANSWER_RE)(self.on_answer)
        app.action(ids.HINT)(self.on_hint)
        app.action(ids.NEXT)(self.on_next)
        app.action(ids.QUIT)(self.on_quit)
        app.action(ids.LIVE_ANSWER_RE)(self.on_live_answer)
        app.action(ids.LIVE_HINT)(self.on_live_hint)
        app.action(ids.DAILY_START)(self.on_daily_start)
        app.action(ids.DAILY_BOARD)(self.on_daily_board)

    # --- replies -------------------------------------------------------------------

    async def reply_ephemeral(self, who: Who, message: Message) -> None:
        """Only `who` sees it: via the response_url, else chat.postEphemeral."""
        payload = message.payload(response_type="ephemeral", replace_original=False)
        if await post_response_url(who.response_url, payload):
            return
        if not who.channel:
            return
        try:
            await self.client.chat_postEphemeral(
                channel=who.channel, user=who.user, **message.payload()
            )
        except SlackApiError as error:
            log.warning("chat.postEphemeral failed: %s", error.response.get("error"))

    async def replace(self, who: Who, message: Message) -> bool:
        """Replace the (ephemeral) message whose button was clicked."""
        return await post_response_url(who.response_url, message.payload(replace_original=True))

    async def player(self, who: Who) -> int:
        return await self.service.player_id(who.ref)

    # --- /lrquiz -------------------------------------------------------------------

    async def on_command(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        who = command_who(body)
        try:
            message = await self.command(who, (body.get("text") or "").split())
        except (GameError, ValueError) as error:
            message = blocks.notice(str(error))
        except Exception:
            log.exception("/lrquiz %s failed", body.get("text"))
            message = blocks.notice(TROUBLE)
        await self.reply_ephemeral(who, message)

    async def command(self, who: Who, words: list[str]) -> Message:
        sub = words[0].lower() if words else "help"
        args = words[1:]
        if sub in MODES:
            return await self.start_run(who, sub)
        if sub in ("leaderboard", "lb", "top"):
            return await self.leaderboard(who, args)
        if sub == "stats":
            return await self.stats(who, args)
        if sub == "badges":
            return await self.badges(who)
        if sub == "admin":
            return await self.admin(who, args)
        note = None if sub in ("help", "?") else f"I don't know “{' '.join(words)}”."
        return blocks.help_message(note)

    async def start_run(self, who: Who, mode: str) -> Message:
        player_id = await self.player(who)
        session = await self.service.start(player_id, mode)
        await self.remember_run(session.id, who)
        return await self.run_message(session)

    async def leaderboard(self, who: Who, args: list[str]) -> Message:
        period = args[0].lower() if args else "all"
        if period not in PERIODS:
            return blocks.notice(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
        me = await self.player(who)
        board = await self.service.leaderboard(PLATFORM, who.team, period, me=me)
        rows = [(row, await self.display(row.user_id, row.name)) for row in board.rows]
        listed = any(r.user_id == me for r in board.rows)
        own = None
        if board.own is not None and not listed:
            own = (board.own, await self.display(board.own.user_id, board.own.name))
        return blocks.leaderboard(board.period, rows, own, me_listed=listed)

    async def display(self, player_id: int, fallback: str) -> str:
        """A mention for Slack players (it follows renames), else the escaped stored name."""
        ref = await self.service.player(player_id)
        if ref is not None and ref.platform == PLATFORM:
            return blocks.mention(ref.external_id)
        return blocks.esc(fallback)

    async def workspace_timezone(self, team: str) -> str:
        """Streaks count days in the workspace's first schedule's time zone, else UTC."""
        return await self.schedules.home_timezone(team)

    async def streak(self, player_id: int, team: str) -> int:
        timezone = await self.workspace_timezone(team)
        return await self.dailies.streak(player_id, PLATFORM, team, timezone)

    async def stats(self, who: Who, args: list[str]) -> Message:
        if not args:
            player_id = await self.player(who)
            return blocks.stats(
                await self.service.stats(player_id),
                blocks.mention(who.user),
                await self.streak(player_id, who.team),
            )
        match = MENTION_RE.match(args[0])
        if match is None:
            return blocks.notice("Mention someone, like `/lrquiz stats @name`.")
        user_id = match.group(1)
        player_id = await self.service.find_player(PLATFORM, who.team, user_id)
        if player_id is None:
            return blocks.notice_raw(f"{blocks.mention(user_id)} hasn't played yet.")
        return blocks.stats(
            await self.service.stats(player_id),
            blocks.mention(user_id),
            await self.streak(player_id, who.team),
        )

    async def badges(self, who: Who) -> Message:
        player_id = await self.player(who)
        earned = [
            (badge, count)
            for badge_id, count in await self.service.badges(player_id)
            if (badge := self.service.badge(badge_id)) is not None
        ]
        available: dict[str, Badge] = {}
        for pack in self.service.packs.values():
            for badge in badges_of(pack):  # the pack's own and the built-in ones
                available.setdefault(badge.id, badge)
        streak = await self.streak(player_id, who.team)
        return blocks.badges(earned, list(available.values()), streak)

    # --- /lrquiz admin ------------------------------------------------------------

    async def admin(self, who: Who, args: list[str]) -> Message:
        if not await self.admins.is_admin(who.team, who.user):
            return blocks.notice(REFUSAL)
        sub = args[0].lower() if args else ""
        rest = args[1:]
        if sub == "post":
            if rest and rest[0].lower() == "daily":
                return await self.admin_post_daily(who, rest[1:])
            if not rest or rest[-1].lower() != "now" or len(rest) > 2:
                return blocks.notice(POST_USAGE)
            problem_id = rest[0] if len(rest) == 2 else None
            return await self.post_live(who, problem_id)
        if sub == "schedule":
            return await self.admin_schedule(who, rest)
        if sub == "announce":
            return await self.admin_announce(who, rest)
        note = None if sub in ("", "help") else f"I don't know “admin {' '.join(args)}”."
        return blocks.help_message(note, admin=True)

    async def post_live(self, who: Who, problem_id: str | None) -> Message:
        poster = await self.player(who)
        try:
            state, problem = await self.publish_live(
                who.team, who.channel, poster, None, problem_id
            )
        except SlackApiError as error:
            return blocks.notice(
                f"I couldn't post in this channel ({error.response.get('error')}). "
                "Invite the app to the channel and try again."
            )
        return blocks.notice_raw(
            f"📣 Posted live question `{blocks.esc(problem.id)}`; "
            f"it closes {blocks.date_token(state.deadline)}."
        )

    async def publish_live(
        self,
        team: str,
        channel: str,
        poster: int | None,
        pack_id: str | None,
        problem_id: str | None,
    ) -> tuple[LiveState, Problem]:
        """Open a live question and post it publicly; SlackApiError if Slack refuses."""
        state = await self.service.post_live(PLATFORM, team, poster, pack_id, problem_id)
        problem = self.service.pack(state.pack_id).problem(state.problem_id)
        message = blocks.live_question(state, problem, self.service.clock.now())
        posted = await self.client.chat_postMessage(channel=channel, **message.payload())
        ref = MessageRef(posted["channel"], posted["ts"])
        await self.service.remember_message(PLATFORM, "live", state.id, ref)
        self.poke()
        return state, problem

    async def admin_post_daily(self, who: Who, args: list[str]) -> Message:
        """`post daily [#channel] [time-zone] [pack]`: today's card, in any order."""
        channel, timezone, pack_id = who.channel, None, None
        for token in args:
            if looks_like_channel(token):
                channel = parse_channel(token, who.channel)
            elif token in self.service.packs:
                pack_id = token
            elif timezone is None:
                timezone = parse_timezone(token)
            else:
                raise ScheduleError(
                    f"{token!r} is one value too many; use "
                    "`/lrquiz admin post daily [#channel] [time-zone] [pack]`"
                )
        timezone = timezone or await self.workspace_timezone(who.team)
        try:
            posting, posted = await self.publish_daily(who.team, channel, timezone, pack_id, None)
        except SlackApiError as error:
            return blocks.notice_raw(
                f"I couldn't post in {blocks.channel_link(channel)} "
                f"({blocks.esc(str(error.response.get('error')))}). "
                "Invite the app to the channel and try again."
            )
        closes = blocks.date_token(posting.daily.ends_at, "{date_short_pretty} {time}")
        if not posted:
            return blocks.notice_raw(
                f"Today's daily challenge is already posted in "
                f"{blocks.channel_link(channel)}; it closes {closes}."
            )
        return blocks.notice_raw(
            f"📅 Posted today's daily challenge ({posting.daily.local_date}, "
            f"{blocks.esc(timezone)}) in {blocks.channel_link(channel)}; it closes {closes}."
        )

    async def publish_daily(
        self,
        team: str,
        channel: str,
        timezone: str,
        pack_id: str | None,
        schedule_id: str | None,
    ) -> tuple[DailyPosting, bool]:
        """Today's card in a channel, posted unless it already is; True when posted now.

        Earlier cards of the channel that this closes are edited into their summaries.
        A card stored without a message (Slack refused the post) is posted again.
        """
        posting = await self.dailies.post(PLATFORM, team, channel, timezone, pack_id, schedule_id)
        for closed in posting.closed:
            try:
                await self.on_daily_closed(closed)
            except Exception:
                log.exception("updating the closed daily card %s failed", closed.daily.id)
        daily = posting.daily
        if await self.service.message_ref(PLATFORM, "daily", daily.id) is not None:
            return posting, False
        # Only the one caller that claims the card posts it (a schedule and an admin may race).
        if not await self.service.claim_message(PLATFORM, "daily", daily.id):
            return posting, False
        message = blocks.daily_card(daily, self.service.pack(daily.pack_id))
        try:
            posted = await self.client.chat_postMessage(channel=channel, **message.payload())
        except BaseException:
            await self.service.release_message(PLATFORM, "daily", daily.id)
            raise
        ref = MessageRef(posted["channel"], posted["ts"])
        await self.service.remember_message(PLATFORM, "daily", daily.id, ref)
        self.poke()  # the card's end of day is a new deadline for the watcher
        return posting, True

    async def fire_schedule(self, schedule: StoredSchedule, occurrence: Occurrence) -> None:
        """The Scheduler's callback: post the occurrence; raising marks it failed."""
        spec = schedule.spec
        log.info(
            "schedule %s fires for %s: %s", schedule.id, occurrence.local_date, spec.describe()
        )
        if spec.format == "live":
            await self.publish_live(
                schedule.workspace, schedule.channel_id, None, spec.pack_id, None
            )
        else:
            await self.publish_daily(
                schedule.workspace, schedule.channel_id, spec.timezone, spec.pack_id, schedule.id
            )

    async def admin_schedule(self, who: Who, args: list[str]) -> Message:
        verb = args[0].lower() if args else "list"
        if verb == "add":
            return await self.schedule_add(who, args[1:])
        if verb in ("list", "ls"):
            now = self.service.clock.now()
            listed = [
                (s, None if s.paused else next_occurrence(s.spec, now).at)
                for s in await self.schedules.list(who.team)
            ]
            return blocks.schedule_list(listed)
        changes = {
            "remove": (self.schedules.remove, "🗑️ Removed"),
            "rm": (self.schedules.remove, "🗑️ Removed"),
            "delete": (self.schedules.remove, "🗑️ Removed"),
            "pause": (self.schedules.pause, "⏸ Paused"),
            "resume": (self.schedules.resume, "▶ Resumed"),
        }
        if verb not in changes:
            return blocks.notice(
                f"I don't know “schedule {verb}”; use schedule add, list, pause ID, "
                "resume ID or remove ID."
            )
        if len(args) != 2:
            return blocks.notice(
                f"Name one schedule: `/lrquiz admin schedule {verb} ID` "
                "(the ids are in `/lrquiz admin schedule list`)."
            )
        change, done = changes[verb]
        schedule = await self.schedules.get(who.team, args[1])
        await change(who.team, schedule.id)
        self.poke_scheduler()
        return blocks.notice_raw(
            f"{done} schedule `{schedule.id}`: {blocks.describe_schedule(schedule)}."
        )

    async def schedule_add(self, who: Who, args: list[str]) -> Message:
        needed = ("time of day (HH:MM)", "time zone", "channel")
        if len(args) < len(needed):
            raise ScheduleError(f"{needed[len(args)]} is missing; use {SCHEDULE_ADD_USAGE}")
        time_of_day, timezone, channel_text, *extra = args
        channel = parse_channel(channel_text, who.channel)
        fmt, pack_id, rest = "card", None, []
        for token in extra:
            if token.lower() in FORMATS:
                fmt = token.lower()
            elif token in self.service.packs and pack_id is None:
                pack_id = token
            else:
                rest.append(token)
        # What is left is positional: weekdays, then the pack (validated by Schedules.add).
        room = 1 if pack_id is not None else 2
        if len(rest) > room:
            raise ScheduleError(
                f"{' '.join(rest[room:])!r} is more than I understand; use {SCHEDULE_ADD_USAGE}"
            )
        weekdays = rest[0] if rest else "daily"
        if len(rest) == 2:
            pack_id = rest[1]
        schedule = await self.schedules.add(
            who.team,
            channel,
            time_of_day,
            timezone,
            weekdays,
            pack_id,
            fmt,
            await self.player(who),
        )
        self.poke_scheduler()
        first = next_occurrence(schedule.spec, self.service.clock.now()).at
        return blocks.notice_raw(
            f"✅ Added schedule `{schedule.id}`: {blocks.describe_schedule(schedule)}.\n"
            f"First post {blocks.date_token(first, '{date_short_pretty} {time}')}. "
            f"Pause, resume or remove it with `/lrquiz admin schedule pause {schedule.id}`."
        )

    async def admin_announce(self, who: Who, args: list[str]) -> Message:
        current = await self.service.settings(PLATFORM, who.team)
        if not args:
            return blocks.notice_raw(self._announce_state(current))
        choice = args[0].lower()
        if choice not in ("on", "off") or len(args) > 2:
            return blocks.notice("Use `/lrquiz admin announce on [#channel]` or `announce off`.")
        channel = parse_channel(args[1], who.channel) if len(args) == 2 else None
        updated = WorkspaceSettings(choice == "on", channel if choice == "on" else None)
        await self.service.update_settings(PLATFORM, who.team, updated)
        return blocks.notice_raw(self._announce_state(updated))

    @staticmethod
    def _announce_state(settings: WorkspaceSettings) -> str:
        if not settings.announce_badges:
            return "🔕 Badge announcements are off. Turn them on with `/lrquiz admin announce on`."
        where = (
            blocks.channel_link(settings.announce_channel)
            if settings.announce_channel
            else "the channel where each was earned"
        )
        return f"📣 Badge announcements are on, in {where}."

    # --- personal runs -------------------------------------------------------------

    async def remember_run(self, session_id: str, who: Who, replace: bool = True) -> None:
        """The newest response_url, so the deadline watcher can replace the message later.

        `replace=False` when the response_url belongs to a public message (a daily card's
        Start click): the watcher then sends a new ephemeral message instead of replacing.
        """
        data: dict[str, Any] = {"response_url": who.response_url}
        if not replace:
            data["replace"] = False
        ref = MessageRef(who.channel, "", data)
        await self.service.remember_message(PLATFORM, "run", session_id, ref)

    async def run_message(self, session: SessionState, note: str | None = None) -> Message:
        """The message for where the run stands now, rendered from stored state."""
        pack = self.service.pack(session.pack_id)
        current = session.current
        if session.is_finished:
            end = blocks.summary(summary_view(session, pack))
            if current is None or current.outcome in (None, "skipped"):
                return Message(end.text, [*blocks.sections(blocks.esc(note or "")), *end.blocks])
            shown = await self._reveal(session, note)
            return Message(end.text, [*shown.blocks, *end.blocks])
        assert current is not None
        if not current.is_open:
            return await self._reveal(session, note)
        view = question_view(session, pack)
        message = blocks.question(view, self.service.clock.now(), note)
        if rules_for(session.mode).show_summary_first and view.index == 0:
            message = Message(message.text, [*blocks.learn_intro(pack).blocks, *message.blocks])
        return message

    async def _reveal(self, session: SessionState, note: str | None) -> Message:
        pack = self.service.pack(session.pack_id)
        view = reveal_view(session, pack)
        real = await fetch_real_output(self.runner, view.problem)
        return blocks.reveal(view, real, note)

    async def _run_action(self, body: dict[str, Any], action: dict[str, Any], kind: str) -> None:
        who = action_who(body)
        session_id, index = ids.parse_question_value(action.get("value") or "")
        player_id = await self.player(who)
        note: str | None = None
        finished_now = False
        try:
            if kind == "answer":
                letter = ids.ANSWER_RE.match(action["action_id"]).group(1)  # type: ignore[union-attr]
                session, result = await self.service.answer(session_id, player_id, letter, index)
                finished_now = result.finished
                if not result.closed:
                    note = blocks.wrong_note(
                        question_view(session, self.service.pack(session.pack_id))
                    )
            elif kind == "hint":
                session, _ = await self.service.hint(session_id, player_id, index)
            elif kind == "next":
                session = await self.service.advance(session_id, player_id)
            else:
                session = await self.service.quit(session_id, player_id)
        except (UnknownSession, NotYourSession) as error:
            await self.reply_ephemeral(who, blocks.notice(str(error)))
            return
        except GameError as error:
            note = str(error)
            session = await self.service.session(session_id)
            if session.player_id != player_id:  # some refusals come before the owner check
                await self.reply_ephemeral(who, blocks.notice(str(NotYourSession())))
                return
            # The click found the last question past its deadline and closed the run.
            finished_now = isinstance(error, QuestionClosed) and error.reason == "expired"
        await self.remember_run(session.id, who)
        await self.replace(who, await self.run_message(session, note))
        if finished_now:
            await self.announce_badges(session, who.channel)

    async def announce_badges(self, session: SessionState, channel_hint: str) -> None:
        """A finished run's badges, posted publicly once if the workspace opted in."""
        if not session.is_finished or not session.badges:
            return
        player = await self.service.player(session.player_id)
        if player is None or player.platform != PLATFORM:
            return
        settings = await self.service.settings(PLATFORM, player.workspace)
        channel = settings.announce_channel or channel_hint
        if not settings.announce_badges or not channel:
            return
        if await self.service.message_ref(PLATFORM, "badges", session.id) is not None:
            return  # announced already
        earned = [b for bid in session.badges if (b := self.service.badge(bid)) is not None]
        if not earned:
            return
        await self.service.remember_message(PLATFORM, "badges", session.id, MessageRef(channel, ""))
        message = blocks.badge_announcement(blocks.mention(player.external_id), earned)
        try:
            posted = await self.client.chat_postMessage(channel=channel, **message.payload())
        except SlackApiError as error:
            log.warning("could not announce badges in %s: %s", channel, error.response.get("error"))
            return
        ref = MessageRef(posted["channel"], posted["ts"])
        await self.service.remember_message(PLATFORM, "badges", session.id, ref)

    async def _guarded(self, who: Who, work: Any) -> None:
        try:
            await work
        except Exception:
            log.exception("handling a click failed")
            await self.reply_ephemeral(who, blocks.notice(TROUBLE))

    async def on_answer(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._run_action(body, action, "answer"))

    async def on_hint(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._run_action(body, action, "hint"))

    async def on_next(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._run_action(body, action, "next"))

    async def on_quit(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._run_action(body, action, "quit"))

    # --- daily challenge cards -------------------------------------------------------

    async def _daily_start(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Start (or resume) the clicker's own run of the card's challenge, privately."""
        who = action_who(body)
        daily_id = action.get("value") or ""
        player_id = await self.player(who)
        now = self.service.clock.now()
        try:
            session = await self.dailies.start(daily_id, player_id)
        except GameError as error:
            await self.reply_ephemeral(who, blocks.notice(str(error)))
            return
        resumed = session.started_at < now
        current = session.current
        if resumed and current is not None and current.is_past_deadline(now):
            session = await self.service.expire(session.id)
        daily = await self.dailies.get(daily_id)
        note = (
            "▶ Resuming your daily challenge."
            if resumed
            else f"📅 Daily challenge {daily.local_date}: your own run, only you see it. Good luck!"
        )
        await self.remember_run(session.id, who, replace=False)
        await self.reply_ephemeral(who, await self.run_message(session, note))

    async def on_daily_start(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._daily_start(body, action))

    async def on_daily_board(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Today's workspace leaderboard with the clicker's own rank, only for them."""
        await ack()
        who = action_who(body)
        await self._guarded(who, self._daily_board(who))

    async def _daily_board(self, who: Who) -> None:
        await self.reply_ephemeral(who, await self.leaderboard(who, ["day"]))

    async def on_daily_closed(self, closed: ClosedDaily) -> None:
        """The day ended (or the next card was posted): edit the card into its summary."""
        daily = closed.daily
        ref = await self.service.message_ref(PLATFORM, "daily", daily.id)
        if ref is None:
            log.info("daily %s closed but its card was never posted", daily.id)
            return
        pack = self.service.pack(daily.pack_id)
        hardest_id = closed.summary.hardest_problem_id
        hardest = pack.problem(hardest_id) if hardest_id else None
        message = blocks.daily_closed(daily, pack, closed.summary, hardest)
        await self.client.chat_update(
            channel=ref.channel_id, ts=ref.message_id, **message.payload()
        )

    # --- live questions ------------------------------------------------------------

    async def _live_action(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        who = action_who(body)
        live_id = action.get("value") or ""
        player_id = await self.player(who)
        try:
            match = ids.LIVE_ANSWER_RE.match(action["action_id"])
            if match is not None:
                state, answer = await self.service.answer_live(live_id, player_id, match.group(1))
                message = blocks.live_locked(answer.letter, state.deadline)
            else:
                _, hint = await self.service.hint_live(live_id, player_id)
                message = blocks.live_hint(hint)
        except GameError as error:
            message = blocks.notice(str(error))
        await self.reply_ephemeral(who, message)

    async def on_live_answer(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._live_action(body, action))

    async def on_live_hint(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await self._guarded(action_who(body), self._live_action(body, action))

    # --- deadlines (called by the DeadlineWatcher) -----------------------------------

    async def on_run_closed(self, session: SessionState) -> None:
        """Nobody clicked before the deadline: show the reveal through the last response_url."""
        ref = await self.service.message_ref(PLATFORM, "run", session.id)
        url = (ref.data.get("response_url") if ref else None) or ""
        if not url:
            log.info("run %s closed but has no response_url to update", session.id)
        else:
            message = await self.run_message(session)
            if ref is not None and ref.data.get("replace") is False:
                # A public card's response_url: never replace the card; add a private message.
                payload = message.payload(response_type="ephemeral", replace_original=False)
            else:
                payload = message.payload(replace_original=True)
            if not await post_response_url(url, payload):
                log.warning(
                    "could not show the time-out of run %s (response_url expired?)", session.id
                )
        if ref is not None:
            await self.announce_badges(session, ref.channel_id)

    async def on_live_closed(self, state: LiveState) -> None:
        """One chat.update: the answer, how many chose each letter, the first right answer."""
        ref = await self.service.message_ref(PLATFORM, "live", state.id)
        if ref is None:
            log.info("live question %s closed but was never posted", state.id)
            return
        pack = self.service.pack(state.pack_id)
        problem = pack.problem(state.problem_id)
        results = live_results(state, pack)
        first = None
        if results.first_right is not None:
            first = await self.display(results.first_right, "?")
        real = await fetch_real_output(self.runner, problem)
        message = blocks.live_closed(state, problem, results, first, real)
        await self.client.chat_update(
            channel=ref.channel_id, ts=ref.message_id, **message.payload()
        )
