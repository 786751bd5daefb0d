"""A local aiohttp app standing in for Discord's REST API, recording every request.

It keeps the messages it was asked to create or edit, like Discord does, so a test can
"click" the buttons a message really shows. Interaction callbacks follow Discord's rules
for what `@original` means: the new message for types 4/5, the clicked message for 6/7.
Responses are `Content-Type: application/json` exactly, which discord.py requires.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = 1_111_111_111_111_111_111
GUILD_ID = 4_444_444_444_444_444_444
BOT_ID = 2_222_222_222_222_222_222
API_PREFIX = "/api/v10"
_CALLBACK = re.compile(r"/interactions/(\d+)/[^/]+/callback$")
_WEBHOOK = re.compile(rf"/webhooks/{APP_ID}/([^/]+)(?:/|$)")

BOT_USER = {
    "id": str(BOT_ID),
    "username": "lrquiz",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
    "flags": 0,
    "public_flags": 0,
    "verified": True,
    "mfa_enabled": False,
}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any

    @property
    def data(self) -> dict[str, Any]:
        """The message fields of the request (an interaction callback nests them in data)."""
        if isinstance(self.body, dict) and "type" in self.body and "data" in self.body:
            return self.body.get("data") or {}
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class Message:
    id: int
    channel_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0

    def apply(self, data: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components", "flags"):
            if key in data:
                value = data[key]
                setattr(self, key, value if value is not None else type(getattr(self, key))())

    def custom_ids(self) -> list[str]:
        return [c["custom_id"] for row in self.components for c in row.get("components", [])]

    def labels(self) -> list[str]:
        return [c.get("label", "") for row in self.components for c in row.get("components", [])]

    def button(self, label: str) -> dict[str, Any]:
        for row in self.components:
            for component in row.get("components", []):
                if component.get("label") == label:
                    return component
        raise KeyError(f"no button {label!r} in {self.custom_ids()}")

    @property
    def text(self) -> str:
        """Everything a reader sees: content, embed titles, descriptions and fields."""
        parts = [self.content or ""]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for f in embed.get("fields", []):
                parts += [f["name"], f["value"]]
            parts.append(embed.get("footer", {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 0,
            "content": self.content or "",
            "author": BOT_USER,
            "embeds": self.embeds,
            "components": self.components,
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-05-28T10:00:00.000000+00:00",
            "edited_timestamp": None,
            "flags": self.flags,
            "application_id": str(APP_ID),
        }


@dataclass
class Pending:
    """What the fake knows about an injected interaction, keyed by its token."""

    id: int
    channel_id: int
    message_id: int | None
    original: int | None = None


class FakeDiscord:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        # The same calls indexed as they arrive: a harness polls these after every
        # interaction, and scanning `calls` made each poll cost O(requests so far), which
        # slowed a long run from ~130 to ~35 interactions/s (benchmarks/discord_clicks.py).
        self._callbacks: dict[int, list[Call]] = {}
        self._by_token: dict[str, list[Call]] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[str, Pending] = {}
        self.valid_token = "good-token"
        self.deny_channels: set[int] = set()
        # GET /channels/{id}: a text channel of GUILD_ID unless overridden here.
        self.channel_overrides: dict[int, dict[str, Any]] = {}
        # Called with each interaction callback before it is answered (what Discord knows
        # at the instant the bot acknowledges).
        self.on_callback: Callable[[int], None] | None = None
        # When set, edits through an interaction token fail with this HTTP status.
        self.refuse_token_edits: int | None = None
        self._ids = itertools.count(1_300_000_000_000_000_000)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.gateway_url = ""
        # Bots connected to the fake gateway, and each one's last sequence number.
        self.sockets: list[web.WebSocketResponse] = []
        # Each connected socket's (shard id, shard count), from its IDENTIFY.
        self.shard_of: dict[web.WebSocketResponse, tuple[int, int]] = {}
        self.recommended_shards = 1  # what GET /gateway/bot recommends
        self._seq = itertools.count(1)
        self.ready = asyncio.Event()

    def new_id(self) -> int:
        return next(self._ids)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/gateway-ws", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}{API_PREFIX}"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway-ws"
        return self.base_url

    async def stop(self) -> None:
        for socket in self.sockets:
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests ask -------------------------------------------------------------------

    def expect(self, interaction_id: int, channel_id: int, message_id: int | None, token: str):
        self.interactions[token] = Pending(interaction_id, channel_id, message_id)

    def callbacks(self, interaction_id: int) -> list[Call]:
        return list(self._callbacks.get(interaction_id, ()))

    def for_token(self, token: str) -> list[Call]:
        """Follow-ups and edits sent with an interaction's token after its callback."""
        return list(self._by_token.get(token, ()))

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        if call.method == "POST" and (hit := _CALLBACK.match(call.path)):
            self._callbacks.setdefault(int(hit.group(1)), []).append(call)
        if hit := _WEBHOOK.match(call.path):
            self._by_token.setdefault(hit.group(1), []).append(call)

    def original(self, token: str) -> Message:
        pending = self.interactions[token]
        assert pending.original is not None, "the interaction has no @original message yet"
        return self.messages[pending.original]

    def channel_posts(self, channel_id: int) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "POST" and c.path == f"/channels/{channel_id}/messages"
        ]

    def channel_messages(self, channel_id: int) -> list[Message]:
        """The messages in a channel as they look now (not ephemeral ones), oldest first."""
        return [
            m for m in self.messages.values() if m.channel_id == channel_id and not m.flags & 64
        ]

    def edits_of(self, message_id: int) -> list[Call]:
        return [c for c in self.calls if c.method == "PATCH" and c.path.endswith(f"/{message_id}")]

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event (e.g. INTERACTION_CREATE) to every connected bot, or, for a
        server's event, to the shard Discord routes that server to."""
        guild = data.get("guild_id")
        for socket in list(self.sockets):
            shard, count = self.shard_of.get(socket, (0, 1))
            if guild is None or (int(guild) >> 22) % count == shard:
                await socket.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # --- the gateway: just enough for a bot to connect, stay connected and get events ----

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self.sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}})
        async for frame in socket:
            if frame.type is not WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            op = message.get("op")
            if op == 2:  # IDENTIFY
                shard = message["d"].get("shard") or [0, 1]
                self.shard_of[socket] = (shard[0], shard[1])
                ready = {
                    "v": 10,
                    "user": BOT_USER,
                    "guilds": [],
                    "session_id": "fake-session",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(APP_ID), "flags": 0},
                    "shard": shard,
                }
                await socket.send_json({"op": 0, "t": "READY", "s": next(self._seq), "d": ready})
                self.ready.set()
            elif op == 1:  # HEARTBEAT
                await socket.send_json({"op": 11})
        self.sockets.remove(socket)
        self.shard_of.pop(socket, None)
        return socket

    # --- the API --------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.path.removeprefix(API_PREFIX)
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json" and raw:
                body = json.loads(raw)
            elif request.content_type.startswith("multipart"):
                body = {"multipart": True}
        self._record(Call(request.method, path, dict(request.query), body))
        if request.headers.get("Authorization") not in (None, f"Bot {self.valid_token}"):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        return self._route(request.method, path, body or {})

    def _route(self, method: str, path: str, body: dict[str, Any]) -> web.Response:
        if method == "GET" and path == "/users/@me":
            return _json(BOT_USER)
        if method == "GET" and path == "/gateway/bot":
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            return _json(
                {
                    "url": self.gateway_url,
                    "shards": self.recommended_shards,
                    "session_start_limit": limit,
                }
            )
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json(_application())
        if m := re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path):
            return self._callback(m[2], body)
        if m := re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)/messages/(@original|\d+)", path):
            return self._webhook_message(method, m[1], m[2], body)
        if method == "POST" and (m := re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)", path)):
            pending = self.interactions[m[1]]
            message = self._create(pending.channel_id, body)
            return _json(message.payload())
        if method == "GET" and (m := re.fullmatch(r"/channels/(\d+)", path)):
            return self._channel(int(m[1]))
        if m := re.fullmatch(r"/channels/(\d+)/messages", path):
            channel = int(m[1])
            if channel in self.deny_channels:
                return _json({"message": "Missing Access", "code": 50001}, 403)
            return _json(self._create(channel, body).payload())
        if method == "PATCH" and (m := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)):
            message = self.messages[int(m[2])]
            message.apply(body)
            return _json(message.payload())
        if method == "PUT" and (
            m := re.fullmatch(r"/applications/\d+/(guilds/\d+/)?commands", path)
        ):
            return _json(
                [
                    {
                        **command,
                        "id": str(self.new_id()),
                        "application_id": str(APP_ID),
                        "version": "1",
                        "default_member_permissions": command.get("default_member_permissions"),
                    }
                    for command in body
                ]
            )
        return _json({"message": f"404: no fake for {method} {path}", "code": 0}, 404)

    def _channel(self, channel_id: int) -> web.Response:
        if channel_id in self.deny_channels:
            return _json({"message": "Missing Access", "code": 50001}, 403)
        data: dict[str, Any] = {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": f"channel-{channel_id % 1000}",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }
        data.update(self.channel_overrides.get(channel_id, {}))
        if data.get("missing"):
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        return _json(data)

    def _create(self, channel_id: int, data: dict[str, Any]) -> Message:
        message = Message(self.new_id(), channel_id)
        message.apply(data)
        self.messages[message.id] = message
        return message

    def _callback(self, token: str, body: dict[str, Any]) -> web.Response:
        pending = self.interactions[token]
        if self.on_callback is not None:
            self.on_callback(pending.id)
        kind = body["type"]
        data = body.get("data") or {}
        message: Message | None = None
        if kind in (4, 5):  # a new message (5: the "thinking…" placeholder)
            message = self._create(pending.channel_id, {**data, "content": data.get("content", "")})
            pending.original = message.id
        elif kind in (6, 7):  # the clicked message (7: edited now)
            assert pending.message_id is not None, "only components can update a message"
            pending.original = pending.message_id
            message = self.messages[pending.message_id]
            if kind == 7:
                message.apply(data)
        answer: dict[str, Any] = {
            "interaction": {
                "id": str(pending.id),
                "type": 2 if pending.message_id is None else 3,
                "response_message_id": str(pending.original),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and message.flags & 64),
            }
        }
        if message is not None and kind in (4, 7):
            answer["resource"] = {"type": kind, "message": message.payload()}
        return _json(answer)

    def _webhook_message(
        self, method: str, token: str, which: str, body: dict[str, Any]
    ) -> web.Response:
        pending = self.interactions.get(token)
        if pending is None or pending.original is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if method == "PATCH" and self.refuse_token_edits is not None:
            return _json({"message": "refused by the test", "code": 0}, self.refuse_token_edits)
        message_id = pending.original if which == "@original" else int(which)
        message = self.messages[message_id]
        if method == "PATCH":
            message.apply(body)
        return _json(message.payload())


def _application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "lrquiz",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": {**BOT_USER, "id": "3333", "bot": False, "username": "owner"},
        "verify_key": "00",
        "flags": 0,
        "summary": "",
        "team": None,
    }


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )
