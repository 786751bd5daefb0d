"""A local fake of the Slack Web API and of response_url endpoints, recording every call.

One aiohttp server on 127.0.0.1 answers `/api/<method>` like Slack does (JSON with `ok`)
and `/response/<key>` like a response_url (200 "ok", or 404 once expired). Tests read the
recorded calls and wait for them, because Bolt handlers keep working after their ack().
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

BOT_USER = "UBOT"


@dataclass
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Posted:
    key: str
    body: dict[str, Any]


@dataclass
class FakeSlack:
    """Start with `await fake.start()`; point SLACK_API_URL at `fake.api_url`."""

    calls: list[Call] = field(default_factory=list)
    responses: list[Posted] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error code
    rate_limited: dict[str, int] = field(default_factory=dict)  # method -> 429s to send
    server_errors: dict[str, int] = field(default_factory=dict)  # method -> 500s to send
    expired: set[str] = field(default_factory=set)  # response_url keys that answer 404
    url: str = ""
    _runner: web.AppRunner | None = None
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))
    _keys: itertools.count = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Condition | None = None
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    _envelopes: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, key: str | None = None) -> tuple[str, str]:
        """A fresh response_url on this server and its key."""
        key = key or f"r{next(self._keys)}"
        return f"{self.url}/response/{key}", key

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application()
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._api),
                web.post("/response/{key}", self._response),
                web.get("/socket", self._socket),
            ]
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _notify(self) -> None:
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw:
            if request.content_type == "application/json":
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw.decode()))
        for name in ("blocks",):  # form-encoded calls send JSON strings
            if isinstance(args.get(name), str):
                args[name] = json.loads(args[name])
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            self.calls.append(Call(method + " (429)", args))
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        if self.server_errors.get(method, 0) > 0:
            self.server_errors[method] -= 1
            self.calls.append(Call(method + " (500)", args))
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        self.calls.append(Call(method, args))
        await self._notify()
        if method in self.errors:
            return web.json_response({"ok": False, "error": self.errors[method]})
        return web.json_response(self._answer(method, args))

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://lrquiz-test.slack.com/",
                "team": "Test team",
                "user": "lrquiz",
                "team_id": "T1",
                "user_id": BOT_USER,
                "bot_id": "B1",
            }
        if method == "chat.postMessage":
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": f"1700000000.{next(self._ts):06d}",
            }
        if method == "chat.update":
            return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        if method == "users.info":
            user = args.get("user", "")
            return {"ok": True, "user": {"id": user, **self.users.get(user, {})}}
        return {"ok": True}

    async def _response(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if key in self.expired:
            return web.Response(status=404, text="expired_url")
        body = await request.json()
        self.responses.append(Posted(key, body))
        await self._notify()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then record every ack the app sends back."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})
        self.sockets.append(ws)
        await self._notify()
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
                await self._notify()
        return ws

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver an event over the open Socket Mode connection; returns its envelope id."""
        envelope_id = f"env-{next(self._envelopes)}"
        await self.sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
            }
        )
        return envelope_id

    # --- reading what happened ----------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posted_to(self, key: str) -> list[dict[str, Any]]:
        return [p.body for p in self.responses if p.key == key]

    async def wait(self, ready: Callable[[], Any], timeout: float = 15.0) -> Any:
        """Wait until `ready()` is truthy (handlers finish after their ack) and return it."""
        assert self._changed is not None
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            value = ready()
            if value:
                return value
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"timed out waiting; calls={self.calls!r}")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(left, 0.2))

    async def response(self, key: str, count: int = 1) -> dict[str, Any]:
        """The `count`-th body posted to response_url `key`."""
        bodies = await self.wait(lambda: len(self.posted_to(key)) >= count and self.posted_to(key))
        return bodies[count - 1]
