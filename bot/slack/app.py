"""Build the Bolt app around the game service, and run it in Socket Mode or HTTP mode.

`SlackBot` owns the AsyncApp, the adapter, the DeadlineWatcher and the Scheduler. `start()`
sweeps first, so deadlines that passed while the app was down are closed (and their messages
updated) before Slack sends the first event; then the scheduler posts what is due (late, once,
within the grace window `LRQUIZ_SCHEDULE_GRACE_S`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.deadlines import DeadlineWatcher
from bot.real_output import Runner
from bot.scheduler import DEFAULT_GRACE_S, Scheduler, grace_from_env
from bot.service import GameService

from .admins import AdminCheck, admins_from_env
from .handlers import PLATFORM, SlackFrontEnd
from .transport import web_client

EVENTS_PATH = "/slack/events"


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
        self.client = web_client(settings.bot_token, settings.api_url)
        self.app = AsyncApp(
            client=self.client,  # carries the token and SLACK_API_URL; auth.test goes there too
            # Socket Mode requests are not signed; Bolt skips verification for them.
            signing_secret=settings.signing_secret or "unused-in-socket-mode",
        )
        self.front_end = SlackFrontEnd(
            service, self.client, AdminCheck(self.client, settings.admins), runner
        )
        self.front_end.register(self.app)
        self.watcher = DeadlineWatcher(
            service,
            self.front_end.on_run_closed,
            self.front_end.on_live_closed,
            max_sleep_s=max_sleep_s,
            platform=PLATFORM,
            on_daily_closed=self.front_end.on_daily_closed,
        )
        self.scheduler = Scheduler(
            service, PLATFORM, self.front_end.fire_schedule, grace_s=settings.schedule_grace_s
        )
        self.front_end.poke = self.watcher.poke
        self.front_end.poke_scheduler = self.scheduler.poke
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Close what fell due while we were down, then keep closing deadlines and posting
        scheduled challenges as they come (the scheduler's first tick posts missed ones)."""
        await self.watcher.sweep()
        self._tasks = [
            asyncio.create_task(self.watcher.run_forever()),
            asyncio.create_task(self.scheduler.run_forever()),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def web_app(self) -> web.Application:
        """HTTP mode: Slack's requests at /slack/events, verified by Bolt's signature check."""

        async def events(request: web.Request) -> web.Response:
            response = await self.app.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(response)

        async def health(_: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        application = web.Application()
        application.add_routes([web.post(EVENTS_PATH, events), web.get("/health", health)])
        return application

    async def serve_http(self, host: str, port: int) -> tuple[web.AppRunner, int]:
        """Start the HTTP listener; returns the runner (for cleanup) and the bound port."""
        runner = web.AppRunner(self.web_app())
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
            await handler.close_async()
