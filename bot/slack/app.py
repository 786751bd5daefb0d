"""The Slack app: Bolt around the conversation, in Socket Mode or HTTP mode.

Each command or click is parsed (`parse`), accepted by the conversation (applied and
committed, or recorded), acknowledged, and only then rendered and delivered. HTTP mode
checks the signature before it reads anything else (401), and answers a request it cannot
parse with 400 instead of failing inside a handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot import ops_http
from bot.conversation.actions import Actor, Envelope
from bot.conversation.core import Conversation
from bot.real_output import Runner
from bot.scheduler import DEFAULT_GRACE_S, grace_from_env
from bot.service import GameService
from storage.refs import MessageRef

from . import ids, parse
from .admins import AdminCheck, admins_from_env
from .deliver import SlackPlatform, SlackReplier, SlackViewReplier
from .render import RUNNING_SNIPPET, editor_view, plain, sections
from .transport import ResponseUrls, web_client

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
COMMAND = "/lrquiz"
MAX_BODY = 64 * 1024  # Slack's payloads are a few kilobytes


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str
    signing_secret: str = ""
    app_token: str = ""
    api_url: str | None = None
    admins: frozenset[str] = frozenset()
    schedule_grace_s: float = DEFAULT_GRACE_S

    @classmethod
    def from_env(cls, http: bool) -> SlackSettings:
        """Read the environment; ValueError naming the first missing variable."""
        needed = {
            "SLACK_BOT_TOKEN": "the bot token, xoxb-…",
            "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN": (
                "Basic Information → Signing Secret, needed by --http"
                if http
                else "an app-level token, xapp-… with connections:write, needed by Socket Mode; "
                "or run with --http"
            ),
        }
        for name, what in needed.items():
            if not os.environ.get(name, "").strip():
                raise ValueError(f"{name} is not set ({what}); see the README's Slack section")
        return cls(
            bot_token=os.environ["SLACK_BOT_TOKEN"].strip(),
            signing_secret=os.environ.get("SLACK_SIGNING_SECRET", "").strip(),
            app_token=os.environ.get("SLACK_APP_TOKEN", "").strip(),
            api_url=os.environ.get("SLACK_API_URL") or None,
            admins=admins_from_env(),
            schedule_grace_s=grace_from_env(),
        )


class SlackBot:
    def __init__(
        self,
        service: GameService,
        settings: SlackSettings,
        runner: Runner | None = None,
        max_sleep_s: float = 15.0,
    ) -> None:
        self.service = service
        self.settings = settings
        self.client = web_client(settings.bot_token, settings.api_url)
        self.urls = ResponseUrls()
        self.now = service.clock.now
        self.platform = SlackPlatform(
            self.client, self.urls, AdminCheck(self.client, settings.admins), self.now
        )
        self.conversation = Conversation(
            service,
            self.platform,
            runner,
            grace_s=settings.schedule_grace_s,
            max_sleep_s=max_sleep_s,
        )
        self.watcher = self.conversation.watcher
        self.scheduler = self.conversation.scheduler
        self.verifier = SignatureVerifier(settings.signing_secret or "unused-in-socket-mode")
        self.app = AsyncApp(
            client=self.client,  # carries the token and SLACK_API_URL; auth.test goes there too
            # HTTP requests are verified by `dispatch_signed` before Bolt sees them, and
            # Socket Mode requests are not signed: checking twice would only cost a hash.
            signing_secret=settings.signing_secret or "unused-in-socket-mode",
            request_verification_enabled=False,
        )
        self.app.command(COMMAND)(self._on_command)
        self.app.action(parse.ACTION_RE)(self._on_click)
        self.app.view(ids.SNIPPET_VIEW)(self._on_submit)

    async def check_tokens(self, socket_mode: bool) -> None:
        """Fail at start, in one line, when Slack refuses a token (not retry forever)."""
        checks = [("SLACK_BOT_TOKEN", self.client.auth_test, "the Bot User OAuth Token")]
        if socket_mode:
            app_client = web_client(self.settings.app_token, self.settings.api_url)
            opens = functools.partial(
                app_client.apps_connections_open, app_token=self.settings.app_token
            )
            checks.append(("SLACK_APP_TOKEN", opens, "an app-level token"))
        for name, call, what in checks:
            try:
                await call()
            except SlackApiError as error:
                raise ValueError(
                    f"Slack refused {name} ({error.response.get('error')}); copy {what} again"
                ) from None

    # --- events ---------------------------------------------------------------------------

    async def _on_command(self, ack: Any, body: dict[str, Any]) -> None:
        packs = tuple(self.service.packs)
        await self._handle(ack, body, lambda b: parse.command(b, packs))

    async def _on_click(self, ack: Any, body: dict[str, Any]) -> None:
        await self._handle(ack, body, parse.click)

    async def _on_submit(self, ack: Any, body: dict[str, Any]) -> None:
        """An Edit & run modal submitted. A refusal is the answer to the submission itself
        (`response_action: errors`), so the modal stays open with the learner's text."""
        try:
            envelope = parse.submission(body)
        except parse.MalformedRequest as error:
            log.warning("ignored a malformed view submission: %s", error)
            await ack()
            return
        accepted = await self.conversation.accept(envelope)
        if accepted.refused is not None:
            reason = plain(accepted.refused, self.now())
            await ack(response_action="errors", errors={ids.CODE_BLOCK: reason})
            return
        # The modal stays, with the learner's text, saying it runs; the result replaces that.
        editor = parse.editor_of(body, envelope, self.conversation.snippets.limits.max_chars)
        channel = envelope.actor.channel
        running = editor_view(editor, channel, sections(RUNNING_SNIPPET), submit="Run again")
        await ack(response_action="update", view=running)
        view_id = str((body.get("view") or {}).get("id") or "")
        fallback = self._replier(envelope.actor, envelope.reply)
        await accepted.finish(SlackViewReplier(self.client, view_id, editor, fallback))

    async def _handle(
        self, ack: Any, body: dict[str, Any], parser: Callable[[dict[str, Any]], Envelope | None]
    ) -> None:
        try:
            envelope = parser(body)
        except parse.MalformedRequest as error:
            log.warning("ignored a malformed Slack request: %s", error)
            await ack()
            return
        if envelope is None:
            await ack()
            await self.conversation.unknown(self._replier_for_body(body))
            return
        # Durable before acknowledged: the click is committed before Slack hears "received".
        accepted = await self.conversation.accept(envelope)
        await ack()
        await accepted.finish(self._replier(envelope.actor, envelope.reply))

    def _replier_for_body(self, body: dict[str, Any]) -> SlackReplier:
        user = body.get("user") or {}
        actor = Actor(parse.PLATFORM, "", str(user.get("id") or body.get("user_id") or ""), "")
        url = str(body.get("response_url") or "")
        return self._replier(actor, MessageRef("", "", {"response_url": url}))

    def replier_for(self, reply: MessageRef | None) -> SlackReplier:
        """A replier for a stored reply handle (finishing interrupted commands)."""
        actor = Actor(parse.PLATFORM, "", "", "", reply.channel_id if reply else "")
        return self._replier(actor, reply)

    def _replier(self, actor: Actor, reply: MessageRef | None) -> SlackReplier:
        return SlackReplier(self.client, self.urls, actor, reply, self.now)

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Close what fell due while we were down, finish interrupted commands, then keep
        closing deadlines and posting schedules (the first tick posts missed ones)."""
        await self.conversation.start(self.replier_for)

    async def stop(self) -> None:
        await self.conversation.stop()
        await self.urls.close()

    # --- HTTP mode ------------------------------------------------------------------------

    async def dispatch_signed(
        self, raw: bytes | str, headers: Mapping[str, str], query: str = ""
    ) -> BoltResponse:
        """One HTTP-mode request: the signature before anything is read (401), then its
        shape (400), then Bolt, which need not verify it again."""
        timestamp = headers.get("X-Slack-Request-Timestamp", "")
        signature = headers.get("X-Slack-Signature", "")
        try:
            body = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            body = None
        if (
            not timestamp.isdigit()
            or body is None
            or not self.verifier.is_valid(body, timestamp, signature)
        ):
            return BoltResponse(status=401, body='{"error": "invalid signature"}')
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        problem = malformed(body, content_type)
        if problem is not None:
            log.warning("400 for a Slack request: %s", problem)
            return BoltResponse(status=400, body=json.dumps({"error": problem}))
        request = AsyncBoltRequest(body=body, query=query, headers=dict(headers))
        return await self.app.async_dispatch(request)

    def web_app(self) -> web.Application:
        """Slack's requests at /slack/events: signature first (401), then shape (400);
        /health and /metrics beside them."""

        async def events(request: web.Request) -> web.Response:
            raw = await request.content.read(MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                return web.json_response({"error": "request body too large"}, status=413)
            response = await self.dispatch_signed(raw, request.headers, request.query_string)
            return await to_aiohttp_response(response)

        paths = (EVENTS_PATH, ops_http.HEALTH_PATH, ops_http.METRICS_PATH)
        timing = ops_http.timing(self.conversation.metrics, paths)
        application = web.Application(client_max_size=MAX_BODY, middlewares=[timing])
        application.add_routes([web.post(EVENTS_PATH, events)])
        application.add_routes(ops_http.routes(self.service.db, self.conversation.metrics))
        return application

    async def serve_http(self, host: str, port: int) -> tuple[web.AppRunner, int]:
        """Start the HTTP listener; returns the runner (for cleanup) and the bound port."""
        runner = web.AppRunner(self.web_app(), access_log=None)  # a log line per click is noise
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        bound = sockets[0].getsockname()[1] if sockets else port
        return runner, bound

    async def serve_socket_mode(self, app_token: str) -> None:
        """Socket Mode: an outbound WebSocket, so no public URL is needed. Runs until cancelled."""
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(self.app, app_token)
        await handler.connect_async()
        try:
            await asyncio.Event().wait()
        finally:
            with contextlib.suppress(Exception):
                await handler.close_async()


def malformed(body: str, content_type: str) -> str | None:
    """Why a signed request is not one we can handle, or None. JSON bodies (URL
    verification, events) go to Bolt as they are."""
    if content_type == "application/json":
        return None
    if content_type != "application/x-www-form-urlencoded":
        return f"unexpected content type {content_type or 'none'!r}"
    try:
        fields = parse.form_body(body)
        if fields.get("type") == "block_actions":
            parse.click(fields)
        elif fields.get("type") == "view_submission":
            parse.submission(fields)
        elif "command" in fields:
            parse.command(fields)
        elif not fields.get("type"):
            return "neither a command nor an interaction payload"
    except parse.MalformedRequest as error:
        return str(error)
    return None
