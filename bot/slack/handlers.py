"""Slack events → game service calls → Block Kit replies. No game rule lives here.

Every handler acks first (Slack wants an answer within 3 seconds) and does the slow part
(storage, the runner's real output, Web API calls) afterwards, replying through the
response_url. Button values carry only ids; the state behind them is read from SQLite, so a
restart between posting and clicking changes nothing.
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

from bot.engine.errors import GameError, NotYourSession, UnknownSession
from bot.engine.live import LiveState, live_results
from bot.engine.modes import MODES, rules_for
from bot.engine.periods import PERIODS
from bot.engine.state import SessionState
from bot.engine.views import question_view, reveal_view, summary_view
from bot.real_output import Runner, fetch_real_output
from bot.service import GameService
from storage.refs import MessageRef
from storage.users import PlayerRef

from . import blocks, ids
from .admins import AdminCheck
from .blocks import Message
from .transport import post_response_url

log = logging.getLogger(__name__)

PLATFORM = "slack"
COMMAND = "/lrquiz"
MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
REFUSAL = (
    "🚫 /lrquiz admin is for workspace admins and owners (or users listed in "
    "LRQUIZ_SLACK_ADMINS). Ask one of them to post the question."
)
TROUBLE = "Something went wrong on our side; please try again."


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
        self.poke: Callable[[], None] = lambda: None  # set by the app to wake the watcher

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.on_command)
        app.action(ids.ANSWER_RE)(self.on_answer)
        app.action(ids.HINT)(self.on_hint)
        app.action(ids.NEXT)(self.on_next)
        app.action(ids.QUIT)(self.on_quit)
        app.action(ids.LIVE_ANSWER_RE)(self.on_live_answer)
        app.action(ids.LIVE_HINT)(self.on_live_hint)

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
        own = None
        if board.own is not None and all(r.user_id != me for r in board.rows):
            own = (board.own, await self.display(board.own.user_id, board.own.name))
        return blocks.leaderboard(board.period, rows, own)

    async def display(self, player_id: int, fallback: str) -> str:
        """A mention for Slack players (it follows renames), else the escaped stored name."""
        ref = await self.service.player(player_id)
        if ref is not None and ref.platform == PLATFORM:
            return blocks.mention(ref.external_id)
        return blocks.esc(fallback)

    async def stats(self, who: Who, args: list[str]) -> Message:
        if not args:
            player_id = await self.player(who)
            return blocks.stats(await self.service.stats(player_id), blocks.mention(who.user))
        match = MENTION_RE.match(args[0])
        if match is None:
            return blocks.notice("Mention someone, like `/lrquiz stats @name`.")
        user_id = match.group(1)
        player_id = await self.service.find_player(PLATFORM, who.team, user_id)
        if player_id is None:
            return blocks.notice_raw(f"{blocks.mention(user_id)} hasn't played yet.")
        return blocks.stats(await self.service.stats(player_id), blocks.mention(user_id))

    async def badges(self, who: Who) -> Message:
        player_id = await self.player(who)
        earned = [
            (badge, count)
            for badge_id, count in await self.service.badges(player_id)
            if (badge := self.service.badge(badge_id)) is not None
        ]
        available = [b for pack in self.service.packs.values() for b in pack.badges]
        return blocks.badges(earned, available)

    async def admin(self, who: Who, args: list[str]) -> Message:
        if not await self.admins.is_admin(who.team, who.user):
            return blocks.notice(REFUSAL)
        if not args or args[0].lower() != "post":
            return blocks.help_message(admin=True)
        rest = args[1:]
        if not rest or rest[-1].lower() != "now" or len(rest) > 2:
            return blocks.notice(
                "Scheduling is not available yet; post now with "
                "`/lrquiz admin post [problem-id] now`."
            )
        problem_id = rest[0] if len(rest) == 2 else None
        return await self.post_live(who, problem_id)

    async def post_live(self, who: Who, problem_id: str | None) -> Message:
        poster = await self.player(who)
        state = await self.service.post_live(PLATFORM, who.team, poster, None, problem_id)
        problem = self.service.pack(state.pack_id).problem(state.problem_id)
        message = blocks.live_question(state, problem, self.service.clock.now())
        try:
            posted = await self.client.chat_postMessage(channel=who.channel, **message.payload())
        except SlackApiError as error:
            return blocks.notice(
                f"I couldn't post in this channel ({error.response.get('error')}). "
                "Invite the app to the channel and try again."
            )
        ref = MessageRef(posted["channel"], posted["ts"])
        await self.service.remember_message(PLATFORM, "live", state.id, ref)
        self.poke()
        return blocks.notice_raw(
            f"📣 Posted live question `{blocks.esc(problem.id)}`; "
            f"it closes {blocks.date_token(state.deadline)}."
        )

    # --- personal runs -------------------------------------------------------------

    async def remember_run(self, session_id: str, who: Who) -> None:
        """The newest response_url, so the deadline watcher can replace the message later."""
        ref = MessageRef(who.channel, "", {"response_url": who.response_url})
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
        try:
            if kind == "answer":
                letter = ids.ANSWER_RE.match(action["action_id"]).group(1)  # type: ignore[union-attr]
                session, result = await self.service.answer(session_id, player_id, letter, index)
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
        await self.remember_run(session.id, who)
        await self.replace(who, await self.run_message(session, note))

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
            return
        if not await post_response_url(
            url, (await self.run_message(session)).payload(replace_original=True)
        ):
            log.warning("could not show the time-out of run %s (response_url expired?)", session.id)

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
