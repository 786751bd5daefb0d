"""aiohttp front end for API v1 (DESIGN.md section 4): routing, auth, limits, error shapes.

Everything that can go wrong with a request becomes a JSON ``{"error": ...}`` with a 4xx
or 503; an unexpected bug becomes a 500 for that request only, never a dead runner.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import resource
import sys
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from runner.guard import GuardedFactory
from runner.metrics import RunnerMetrics
from runner.request import BadRequest, parse_run_request
from runner.service import RunService
from runner.supervisor import NotReady, Saturated, ZygoteDied

SERVICE: web.AppKey[RunService] = web.AppKey("service", RunService)
TOKEN: web.AppKey[str | None] = web.AppKey("token", str)
BODY_LIMIT: web.AppKey[int] = web.AppKey("body_limit", int)
GUARD: web.AppKey[GuardedFactory] = web.AppKey("guard", GuardedFactory)
READ_TIMEOUT: web.AppKey[float] = web.AppKey("read_timeout", float)
METRICS: web.AppKey[RunnerMetrics] = web.AppKey("metrics", RunnerMetrics)

READ_TIMEOUT_S = 10.0
KEEPALIVE_S = 30.0
MAX_CONNECTIONS = 256
CLIENT_HEADER = "X-Lrquiz-Client"  # optional fairness key, e.g. a chat user behind one bot

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    guard = request.app[GUARD].guard_for(request.transport)
    if guard is not None:
        guard.request_started()  # the head arrived in time; the body has its own deadline
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(
            exc.status,
            exc.reason,
            {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None,
        )
    except Exception:
        traceback.print_exc(file=sys.stderr)
        return _error(500, "internal runner error")
    finally:
        if guard is not None:
            guard.request_finished()


def _authorized(request: web.Request) -> bool:
    token = request.app[TOKEN]
    if not token:
        return True
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "replace"), token.encode("utf-8", "replace")
    )


def _client(request: web.Request) -> str:
    """Who to share slots fairly with: the peer, refined by an optional client header."""
    named = request.headers.get(CLIENT_HEADER, "")[:100]
    return f"{request.remote or ''}/{named}"


async def run_handler(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _error(401, "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"})
    limit = request.app[BODY_LIMIT]
    if request.content_length is not None and request.content_length > limit:
        return _error(400, f"request body is larger than {limit} bytes")
    try:
        body = await asyncio.wait_for(request.read(), request.app[READ_TIMEOUT])
    except web.HTTPRequestEntityTooLarge:
        return _error(400, f"request body is larger than {limit} bytes")
    except TimeoutError:
        return _error(408, f"request body not received within {request.app[READ_TIMEOUT]:g}s")
    service = request.app[SERVICE]
    try:
        run_request = parse_run_request(body, service.supervisor.config.limits)
    except BadRequest as exc:
        return _error(400, str(exc))
    try:
        result = await service.run(run_request, _client(request))
    except Saturated as exc:
        return _error(503, str(exc), {"Retry-After": str(exc.retry_after_s)})
    except NotReady as exc:
        return _error(503, f"runner not ready: {exc}", {"Retry-After": "2"})
    except ZygoteDied as exc:
        return _error(503, f"runner restarting: {exc}", {"Retry-After": "1"})
    request.app[METRICS].job(result)
    return web.json_response(result, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


async def health_handler(request: web.Request) -> web.Response:
    """Load balancers probe without the token: they learn up/down and the torch version,
    nothing about the sandbox (paths, pids, uids) that would help an attacker."""
    health = request.app[SERVICE].health()
    if not _authorized(request):
        return web.json_response({"ok": health["ok"], "torch": health["torch"]})
    return web.json_response(health)


async def metrics_handler(request: web.Request) -> web.Response:
    """Prometheus metrics; with a token configured, only for its holders."""
    if not _authorized(request):
        return _error(401, "missing or invalid bearer token", {"WWW-Authenticate": "Bearer"})
    return await request.app[METRICS].handler(request)


async def listen(
    app: web.Application, host: str, port: int
) -> tuple[web.AppRunner, asyncio.Server]:
    """Serve ``app`` behind the connection guard; OSError if the address is unusable."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:  # room for every connection plus the cells' pipes
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    site_runner = web.AppRunner(
        app, access_log=None, handle_signals=False, keepalive_timeout=KEEPALIVE_S
    )
    await site_runner.setup()
    assert site_runner.server is not None
    guard = app[GUARD]
    guard.inner = site_runner.server
    try:
        server = await asyncio.get_running_loop().create_server(
            guard, host, port, reuse_address=True, backlog=512
        )
    except OSError:
        await site_runner.cleanup()
        raise
    return site_runner, server


def make_app(
    service: RunService,
    token: str | None,
    *,
    max_connections: int = MAX_CONNECTIONS,
    read_timeout_s: float = READ_TIMEOUT_S,
) -> web.Application:
    limits = service.supervisor.config.limits
    # aiohttp's own cap sits above ours so oversized bodies get our 400, not its 413.
    metrics = RunnerMetrics(service)
    app = web.Application(
        middlewares=[metrics.middleware, errors_as_json], client_max_size=limits.max_body_bytes + 1
    )
    app[SERVICE] = service
    app[METRICS] = metrics
    app[TOKEN] = token or None
    app[BODY_LIMIT] = limits.max_body_bytes
    app[GUARD] = GuardedFactory(None, max_connections, read_timeout_s)
    app[READ_TIMEOUT] = read_timeout_s
    app.router.add_post("/v1/run", run_handler)
    app.router.add_get("/v1/health", health_handler)
    app.router.add_get("/metrics", metrics_handler)
    return app
