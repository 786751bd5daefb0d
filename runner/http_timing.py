"""One aiohttp middleware that counts requests by path and status and times them, shared
by the runner's and the bots' /metrics so both label their requests the same way."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiohttp import web
from prometheus_client import Counter, Histogram

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def timing_middleware(requests: Counter, seconds: Histogram, paths: Collection[str]) -> Any:
    """Counts into `requests` (path, code) and times into `seconds` (path); a path outside
    `paths` is labelled `other`, so a scan of random URLs cannot grow the label set."""

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        path = request.path if request.path in paths else "other"
        code = 500
        try:
            response = await handler(request)
            code = response.status
            return response
        except web.HTTPException as error:
            code = error.status
            raise
        finally:
            requests.labels(path, str(code)).inc()
            seconds.labels(path).observe(time.perf_counter() - started)

    return timed
