"""`/health` and `/metrics` for a chat bot: routes for an existing aiohttp app (Slack HTTP
mode), or a small server of their own (`--metrics-port`, for Discord and Socket Mode).

/health answers 200 when the database answers a cheap query within `HEALTH_TIMEOUT_S`
(503 otherwise), so a load balancer or orchestrator takes out a replica whose database is
gone, and never waits long to find out.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from bot.metrics import BotMetrics
from bot.ops_config import wanted
from runner.http_timing import timing_middleware
from storage.migrations import current_version

HEALTH_TIMEOUT_S = 2.0
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"


class MetricsPortError(ValueError):
    """The metrics address cannot be listened on (in use, not ours)."""


# Extra facts for /health (e.g. whether the Discord gateway is connected); not part of "ok".
Status = Callable[[], dict[str, Any]]


async def database_health(db: Any, timeout_s: float = HEALTH_TIMEOUT_S) -> dict[str, Any]:
    """Does the database answer? Reads its schema version: one indexed row, no write."""
    started = time.perf_counter()
    try:
        schema = await asyncio.wait_for(db.run(current_version), timeout_s)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {timeout_s:g}s"}
    except Exception as error:  # whatever the engine raises, /health says it, briefly
        first = (str(error).splitlines() or [""])[0]
        return {"ok": False, "error": f"{type(error).__name__}: {first}"[:200]}
    return {"ok": True, "schema": schema, "ms": round((time.perf_counter() - started) * 1000, 2)}


def routes(db: Any, metrics: BotMetrics, status: Status | None = None) -> list[web.RouteDef]:
    """GET /health and GET /metrics, to add to any aiohttp application."""

    async def health(_: web.Request) -> web.Response:
        database = await database_health(db)
        body: dict[str, Any] = {"ok": database["ok"], "platform": metrics.platform}
        body["database"] = database
        if status is not None:
            body.update(status())
        return web.json_response(body, status=200 if database["ok"] else 503)

    async def scrape(_: web.Request) -> web.Response:
        data, content_type = metrics.exposition()
        return web.Response(body=data, headers={"Content-Type": content_type})

    return [web.get(HEALTH_PATH, health), web.get(METRICS_PATH, scrape)]


def timing(metrics: BotMetrics, paths: tuple[str, ...]) -> Any:
    """A middleware counting requests by path (`other` outside `paths`) and status code,
    and timing each from arrival to response."""
    return timing_middleware(metrics.http_requests, metrics.http_seconds, paths)


# --- the opt-in server of its own -------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(
    args: Any, db: Any, metrics: BotMetrics, status: Status | None = None
) -> AsyncIterator[int | None]:
    """Serve /health and /metrics while inside, if asked to; yields the bound port."""
    where = wanted(args)
    if where is None:
        yield None
        return
    host, port = where
    app = web.Application()
    app.add_routes(routes(db, metrics, status))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as error:
        await runner.cleanup()
        where = f"{host}:{port}"
        raise MetricsPortError(f"metrics: cannot listen on {where}: {error.strerror}") from None
    sockets = getattr(site._server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    shown = f"[{host}]" if ":" in host else host
    print(f"lrquiz: metrics on http://{shown}:{bound}{METRICS_PATH}", file=sys.stderr, flush=True)
    try:
        yield bound
    finally:
        await runner.cleanup()
