"""The runner's request logic between HTTP and the zygote: cache, coalescing, statistics.

Identical requests that miss the cache while one of them is running wait for that one
("single flight"), so a quiz posted to a busy channel runs its snippet once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from runner.cache import ResultCache, cache_key, cacheable
from runner.request import RunRequest
from runner.supervisor import NotReady, Supervisor

PUBLIC_FIELDS = ("status", "stdout", "stderr", "exit_code", "duration_ms", "truncated", "exception")


@dataclass
class Stats:
    requests: int = 0
    executed: int = 0
    cache_hits: int = 0
    coalesced: int = 0


class RunService:
    def __init__(self, supervisor: Supervisor, cache: ResultCache) -> None:
        self.supervisor = supervisor
        self.cache = cache
        self.inflight: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.stats = Stats()

    async def _runtime(self, timeout_s: float) -> dict[str, Any]:
        """Runtime facts of the serving zygote; waits for the first warm-up if needed."""
        deadline = time.monotonic() + max(30.0, timeout_s)
        while not self.supervisor.info.get("runtime"):
            if time.monotonic() > deadline:
                raise NotReady(self.supervisor.last_error or "runner is still warming up")
            await asyncio.sleep(0.05)
        return dict(self.supervisor.info["runtime"])

    async def run(self, request: RunRequest, client: str = "") -> dict[str, Any]:
        self.stats.requests += 1
        runtime = await self._runtime(request.timeout_s)
        limits = self.supervisor.config.limits.fingerprint()
        key = cache_key(request.code, request.seed, request.timeout_s, limits, runtime)
        hit = await self.cache.get(key)
        if hit is not None:
            self.stats.cache_hits += 1
            return {**hit, "cached": True}
        shared = self.inflight.get(key)
        if shared is not None:
            self.stats.coalesced += 1
            return {**(await asyncio.shield(shared)), "cached": True}
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        try:
            raw = await self.supervisor.run(request.code, request.seed, request.timeout_s, client)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: followers re-raise it, nobody else must
            raise
        finally:
            self.inflight.pop(key, None)
        self.stats.executed += 1
        result = {field: raw.get(field) for field in PUBLIC_FIELDS}
        result["runtime"] = self._public_runtime(self.supervisor.info.get("runtime", runtime))
        future.set_result(result)
        if cacheable(raw):
            self.cache.put(key, result)
        return {**result, "cached": False}

    @staticmethod
    def _public_runtime(runtime: dict[str, Any]) -> dict[str, Any]:
        return {
            "python": runtime.get("python", ""),
            "torch": runtime.get("torch", ""),
            "threads": runtime.get("threads", 1),
        }

    def health(self) -> dict[str, Any]:
        health = self.supervisor.health()
        health["stats"] = dict(self.stats.__dict__)
        health["cache"] = self.cache.info()
        return health
