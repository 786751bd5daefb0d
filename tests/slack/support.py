"""Signed Slack requests through Bolt's real dispatch path, and readers for Block Kit replies."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt.response import BoltResponse

from bot.engine.clock import FakeClock
from bot.engine.state import SessionState
from bot.real_output import Runner
from bot.service import GameService
from bot.slack.app import SlackBot, SlackSettings
from problems.loader import default_pack
from problems.model import Pack
from storage.database import Database
from storage.users import PlayerRef

from .fake_slack import FakeSlack

SECRET = "test-signing-secret"
RUNNING = "Running it in PyTorch"  # a reveal shown before the runner has answered
TEAM = "T1"
CHANNEL = "C1"
_trigger = itertools.count(1)


def signed_headers(body: str, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    """X-Slack-Signature v0 exactly as Slack computes it."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": f"v0={digest}",
    }


def command_body(text: str, response_url: str, **who: Any) -> str:
    return urlencode(command_fields(text, response_url, **who))


def command_fields(
    text: str, response_url: str, user: str = "U1", name: str = "ann", channel: str = CHANNEL
) -> dict[str, str]:
    """A slash command as Slack sends it (form fields over HTTP, a dict in Socket Mode)."""
    return {
        "token": "legacy-unused",
        "team_id": TEAM,
        "team_domain": "lrquiz-test",
        "channel_id": channel,
        "channel_name": "quiz",
        "user_id": user,
        "user_name": name,
        "command": "/lrquiz",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": f"t{next(_trigger)}",
    }


def action_body(action_id: str, value: str, response_url: str, **who: Any) -> str:
    return urlencode({"payload": json.dumps(action_payload(action_id, value, response_url, **who))})


def action_payload(
    action_id: str,
    value: str,
    response_url: str,
    user: str = "U1",
    name: str = "ann",
    ephemeral: bool = True,
    channel: str = CHANNEL,
) -> dict[str, Any]:
    """A button click's block_actions payload."""
    return {
        "type": "block_actions",
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": f"t{next(_trigger)}",
        "team": {"id": TEAM, "domain": "lrquiz-test"},
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM},
        "channel": {"id": channel, "name": "quiz"},
        "container": {
            "type": "message",
            "message_ts": "1700000000.000001",
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "value": value,
                "text": {"type": "plain_text", "text": action_id},
                "action_ts": "1700000001.000001",
            }
        ],
    }


class _Headers(dict):
    """Header names are case-insensitive, as in a real request."""

    def get(self, key: str, default: str = "") -> str:  # type: ignore[override]
        for name, value in self.items():
            if name.lower() == key.lower():
                return value
        return default


# --- reading replies ------------------------------------------------------------------


def all_text(message: dict[str, Any]) -> str:
    """Every piece of text a player would read: sections, contexts and button labels."""
    parts = [message.get("text", "")]
    for block in message.get("blocks", []):
        if "text" in block:
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "button":
                parts.append(element["text"]["text"])
            elif "text" in element:
                parts.append(element["text"])
    return "\n".join(parts)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for e in block["elements"]
    ]


def button(message: dict[str, Any], action_id: str) -> dict[str, Any]:
    for element in buttons(message):
        if element["action_id"] == action_id:
            return element
    raise AssertionError(f"no {action_id} button in {[b['action_id'] for b in buttons(message)]}")


def action_ids(message: dict[str, Any]) -> list[str]:
    return [b["action_id"] for b in buttons(message)]


def reveal_ids(message: dict[str, Any]) -> list[str]:
    """A reveal's buttons but Edit & run, which shows on every reveal of a question with
    code (tests/slack/test_snippets.py)."""
    return [i for i in action_ids(message) if i != "lrquiz_edit"]


def cards(fake: FakeSlack) -> list[dict[str, Any]]:
    """Every daily challenge card posted with chat.postMessage, oldest first."""
    return [
        c.args for c in fake.of("chat.postMessage") if "lrquiz_daily_start" in action_ids(c.args)
    ]


async def start_listening(
    command: list[str], env: dict[str, str], cwd: Path | None = None
) -> tuple[asyncio.subprocess.Process, str]:
    """Start an HTTP-mode app process; its process and the URL it says it listens on."""
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, cwd=cwd, stderr=asyncio.subprocess.PIPE
    )
    assert proc.stderr is not None
    while True:
        line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
        if not line:
            raise AssertionError(f"{command} exited before listening")
        found = re.search(r"listening on (http://\S+)", line)
        if found:
            return proc, found.group(1)


async def started_runs(db_path: Path, players: int) -> dict[str, str]:
    """user id -> a challenge run in the file, started before any app process exists."""
    service = GameService(await Database.open(db_path), [default_pack()])
    runs = {}
    for n in range(players):
        user = f"U{n:04d}"
        player = await service.player_id(PlayerRef("slack", TEAM, user, user))
        runs[user] = (await service.start(player, "challenge")).id
    await service.db.close()
    return runs


def app_command(db_path: Path | str) -> list[str]:
    """`lrquiz run slack --http` on a free loopback port, runner off."""
    return [
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "slack",
        "--http",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--db",
        str(db_path),
        "--runner",
        "off",
    ]


# --- the app under test ------------------------------------------------------------------


class Harness:
    """One SlackBot on a database file, a FakeClock and the fake Slack."""

    def __init__(self, fake: FakeSlack, bot: SlackBot, clock: FakeClock) -> None:
        self.fake = fake
        self.bot = bot
        self.clock = clock

    @property
    def service(self) -> GameService:
        return self.bot.service

    async def dispatch(self, body: str, headers: dict[str, str] | None = None) -> BoltResponse:
        """A request as HTTP mode receives it: signature and shape checked, then Bolt."""
        return await self.bot.dispatch_signed(body, _Headers(headers or signed_headers(body)))

    async def command(self, text: str, **who: Any) -> dict[str, Any]:
        """Run `/lrquiz text` and return the ephemeral reply posted to its response_url."""
        url, key = self.fake.response_url()
        response = await self.dispatch(command_body(text, url, **who))
        assert response.status == 200, response.body
        return await self.fake.response(key)

    async def click(self, action_id: str, value: str, **who: Any) -> dict[str, Any]:
        """Click a button and return what the app posted to the click's response_url: the
        reveal with its real output, when that came as a second post after "Running…"."""
        url, key = self.fake.response_url()
        response = await self.dispatch(action_body(action_id, value, url, **who))
        assert response.status == 200, response.body
        first = await self.fake.response(key)
        if RUNNING not in all_text(first):
            return first
        return await self.fake.response(key, count=2)

    async def press(self, message: dict[str, Any], action_id: str, **who: Any) -> dict[str, Any]:
        """Click the button with `action_id` on a message we received."""
        return await self.click(action_id, button(message, action_id)["value"], **who)

    async def session_of(self, message: dict[str, Any]) -> SessionState:
        session_id = button(message, "lrquiz_quit")["value"]
        return await self.service.session(session_id)

    async def right_letter(self, message: dict[str, Any]) -> str:
        session = await self.session_of(message)
        assert session.current is not None
        return self.service.pack(session.pack_id).problem(session.current.problem_id).answer

    async def wrong_letter(self, message: dict[str, Any]) -> str:
        """A wrong letter not tried yet on this question (trying one twice is refused)."""
        right = await self.right_letter(message)
        session = await self.session_of(message)
        tried = session.current.attempts if session.current is not None else ()
        return next(letter for letter in "ABCD" if letter != right and letter not in tried)

    async def admin(self, text: str, user: str = "UADMIN", **who: Any) -> dict[str, Any]:
        """`/lrquiz admin text` as a workspace admin (users.info says so)."""
        self.fake.users[user] = {"is_admin": True}
        return await self.command(f"admin {text}", user=user, name="boss", **who)

    async def play(self, message: dict[str, Any], right: bool = True, **who: Any) -> dict[str, Any]:
        """Answer every question of the run shown in `message`; returns the final summary.

        `right` answers each question correctly at once; otherwise wrongly twice.
        """
        while True:
            for _ in range(1 if right else 2):
                if "lrquiz_quit" not in action_ids(message):
                    break
                letter = await (self.right_letter if right else self.wrong_letter)(message)
                message = await self.press(message, f"lrquiz_answer_{letter}", **who)
            if "lrquiz_next" not in action_ids(message):
                return message
            message = await self.press(message, "lrquiz_next", **who)

    async def close(self) -> None:
        await self.bot.stop()
        await self.service.db.close()


async def make_bot(
    db_path: Path,
    fake: FakeSlack,
    clock: FakeClock,
    packs: Sequence[Pack],
    runner: Runner | None = None,
    admins: Sequence[str] = (),
    grace_s: float = 900.0,
) -> SlackBot:
    service = GameService(await Database.open(db_path), packs, clock)
    settings = SlackSettings(
        bot_token="xoxb-test",
        signing_secret=SECRET,
        api_url=fake.api_url,
        admins=frozenset(admins),
        schedule_grace_s=grace_s,
    )
    return SlackBot(service, settings, runner)
