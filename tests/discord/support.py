"""Drive the real bot through discord.py's own dispatch path, without a gateway.

`Harness` logs a `LrquizBot` in against `FakeDiscord` (`Route.BASE` points at it), then
feeds INTERACTION_CREATE payloads to `bot._connection.parse_interaction_create`, exactly
what the gateway would do, and waits until the handler has answered and finished.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discord.http import Route

from bot.bootstrap import open_service
from bot.discord.client import LrquizBot
from bot.engine.clock import FakeClock
from bot.real_output import Runner
from bot.service import GameService
from problems.model import Problem

from .fake_api import APP_ID, GUILD_ID, Call, FakeDiscord, Message

CHANNEL_ID = 5_555_555_555_555_555_555
OTHER_CHANNEL_ID = 5_555_555_555_555_555_556
MANAGE_GUILD = 1 << 5
ALL_BASIC = (1 << 10) | (1 << 11) | (1 << 14)  # view channel, send messages, embed links
EPHEMERAL = 64

_ids = itertools.count(1_500_000_000_000_000_000)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    manager: bool = False

    def member(self) -> dict[str, Any]:
        permissions = ALL_BASIC | (MANAGE_GUILD if self.manager else 0)
        return {
            "user": {
                "id": str(self.id),
                "username": self.name.lower(),
                "discriminator": "0",
                "global_name": self.name,
                "avatar": None,
            },
            "roles": [],
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "permissions": str(permissions),
        }


ANN = User(6_000_000_000_000_000_001, "Ann")
BOB = User(6_000_000_000_000_000_002, "Bob")
ADMIN = User(6_000_000_000_000_000_009, "Ada", manager=True)


@dataclass(frozen=True)
class Sent:
    """One injected interaction: its id and token, to look up what the bot answered."""

    id: int
    token: str


def interaction_payload(user: User, type_: int, channel_id: int = CHANNEL_ID) -> dict[str, Any]:
    """An INTERACTION_CREATE payload from a server member, as the gateway sends it."""
    return {
        "id": str(next(_ids)),
        "application_id": str(APP_ID),
        "type": type_,
        "token": f"tok-{next(_ids)}",
        "version": 1,
        "guild_id": str(GUILD_ID),
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 0,
            "name": "quiz",
            "guild_id": str(GUILD_ID),
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "rate_limit_per_user": 0,
            "topic": None,
            "last_message_id": None,
            "flags": 0,
        },
        "member": user.member(),
        "app_permissions": str(ALL_BASIC),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 0,
        "attachment_size_limit": 10_485_760,
    }


class Harness:
    def __init__(self, api: FakeDiscord, bot: LrquizBot, clock: FakeClock) -> None:
        self.api = api
        self.bot = bot
        self.clock = clock
        self.payloads: dict[int, dict[str, Any]] = {}

    @property
    def service(self) -> GameService:
        return self.bot.service

    @classmethod
    async def start(
        cls,
        api: FakeDiscord,
        db_path: Path,
        clock: FakeClock,
        runner: Runner | None = None,
    ) -> Harness:
        Route.BASE = api.base_url
        service = await open_service(db_path, clock=clock)
        bot = LrquizBot(service, runner, watch_deadlines=False)
        await bot.login(api.valid_token)  # GET /users/@me, application info, setup_hook
        return cls(api, bot, clock)

    async def close(self) -> None:
        await self.bot.close()
        await self.bot.service.db.close()

    # --- injecting interactions -----------------------------------------------------------

    def _base(
        self, user: User, type_: int, channel_id: int = CHANNEL_ID, dm: bool = False
    ) -> dict[str, Any]:
        payload = interaction_payload(user, type_, channel_id)
        if dm:  # a direct message: no guild, a user instead of a member
            del payload["guild_id"], payload["member"]
            who = user.member()["user"]
            channel = {"id": str(channel_id), "type": 1, "recipients": [who]}
            payload.update(channel=channel, user=who, context=1)
        return payload

    async def slash(
        self,
        user: User,
        name: str,
        group: str = "lrquiz",
        options: list[dict[str, Any]] | None = None,
        resolved: dict[str, Any] | None = None,
        dm: bool = False,
        subgroup: str | None = None,
        autocomplete: bool = False,
    ) -> Sent:
        """`/group [subgroup] name options…`; `autocomplete` sends the typing of the option
        marked `"focused": True` instead (type 4), whose answer is a type 8 callback."""
        payload = self._base(user, 4 if autocomplete else 2, dm=dm)
        command: list[dict[str, Any]] = [{"type": 1, "name": name, "options": options or []}]
        if subgroup is not None:
            command = [{"type": 2, "name": subgroup, "options": command}]
        payload["data"] = {"id": "7000", "name": group, "type": 1, "options": command}
        if resolved:
            payload["data"]["resolved"] = resolved
        return await self.inject(payload, None)

    async def click(self, user: User, message: Message, label: str, dm: bool = False) -> Sent:
        """Press the button with this label on the message as Discord currently shows it."""
        button = message.button(label)
        assert not button.get("disabled"), f"button {label!r} is disabled"
        return await self.click_id(user, message, button["custom_id"], dm)

    async def click_id(
        self, user: User, message: Message, custom_id: str, dm: bool = False
    ) -> Sent:
        payload = self._base(user, 3, message.channel_id, dm)
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = message.payload()
        return await self.inject(payload, message.id)

    async def inject(self, payload: dict[str, Any], message_id: int | None) -> Sent:
        sent = Sent(int(payload["id"]), payload["token"])
        self.api.expect(sent.id, int(payload["channel_id"]), message_id, sent.token)
        self.payloads[sent.id] = payload
        self.bot._connection.parsers["INTERACTION_CREATE"](payload)  # as the gateway does
        await self.settle(sent)
        return sent

    async def redeliver(self, sent: Sent) -> None:
        """The same interaction (id and token) delivered again, as after a gateway resume."""
        answers = len(self.api.callbacks(sent.id))
        self.bot._connection.parsers["INTERACTION_CREATE"](self.payloads[sent.id])
        await self.settle(sent, answers=answers + 1)

    async def settle(self, sent: Sent, timeout: float = 15.0, answers: int = 1) -> None:
        """Until the interaction has its callback and no handler is still running."""
        deadline = time.monotonic() + timeout
        while not (len(self.api.callbacks(sent.id)) >= answers and self.bot.in_flight == 0):
            if time.monotonic() > deadline:
                raise AssertionError(f"interaction {sent.id} got no complete answer in {timeout}s")
            await asyncio.sleep(0.005)

    # --- reading the answers --------------------------------------------------------------

    def callback(self, sent: Sent) -> Call:
        calls = self.api.callbacks(sent.id)
        assert len(calls) == 1, f"expected exactly one interaction callback, got {calls}"
        return calls[0]

    def original(self, sent: Sent) -> Message:
        return self.api.original(sent.token)

    def note(self, sent: Sent) -> str:
        """The ephemeral text the clicker got (as the callback, on the clicked message it
        updated, or as a follow-up)."""
        callback = self.callback(sent)
        if callback.body["type"] == 7:
            return callback.data.get("content") or ""
        if callback.body["type"] == 4:
            assert callback.data.get("flags", 0) & EPHEMERAL, "expected an ephemeral reply"
            return callback.data.get("content", "")
        followups = [c for c in self.api.for_token(sent.token) if c.method in ("POST", "PATCH")]
        assert followups, "expected a follow-up or an edit"
        return followups[-1].body.get("content", "")

    async def admin(
        self,
        user: User,
        name: str,
        subgroup: str | None = None,
        channel: int | None = None,
        **values: str,
    ) -> Sent:
        """`/lrquiz-admin [subgroup] name` with string options and an optional channel."""
        options: list[dict[str, Any]] = [
            {"type": 3, "name": key, "value": value} for key, value in values.items()
        ]
        resolved = None
        if channel is not None:
            option, resolved = channel_option("channel", channel)
            options.append(option)
        return await self.slash(
            user, name, "lrquiz-admin", options, resolved=resolved, subgroup=subgroup
        )

    def messages_in(self, channel_id: int = CHANNEL_ID) -> list[Message]:
        return self.api.channel_messages(channel_id)

    async def play(self, user: User, message: Message, right: bool = True) -> None:
        """Answer every remaining question of the run in `message`: all right, or all wrong."""
        while True:
            problem = await self.current_problem(message)
            wrong = iter(wrong_letters(problem))
            while problem.answer in message.labels():  # the question is still open
                await self.click(user, message, problem.answer if right else next(wrong))
            if "Next ▶" not in message.labels():
                return
            await self.click(user, message, "Next ▶")

    async def start_run(self, user: User, mode: str) -> tuple[Sent, Message]:
        sent = await self.slash(user, mode)
        return sent, self.original(sent)

    async def current_problem(self, message: Message) -> Problem:
        """The problem the run message shows, read back from storage via its button ids."""
        session_id = next(i for i in message.custom_ids() if i.startswith("lrq:r")).split(":")[2]
        session = await self.service.session(session_id)
        question = session.current
        assert question is not None
        return self.service.pack(session.pack_id).problem(question.problem_id)


def channel_option(name: str, channel_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A channel option and the `resolved` data Discord sends with it."""
    option = {"type": 7, "name": name, "value": str(channel_id)}
    resolved = {
        "channels": {
            str(channel_id): {
                "id": str(channel_id),
                "type": 0,
                "name": "announcements",
                "permissions": "0",
                "guild_id": str(GUILD_ID),
            }
        }
    }
    return option, resolved


def wrong_letters(problem: Problem) -> list[str]:
    return [letter for letter in problem.choices if letter != problem.answer]
