"""Async client for the runner's HTTP API v1, used by the bots, the game and ``verify``.

Every way the runner can fail to give an answer (refused connection, timeout, 5xx, a body
that is not the JSON we expect, a rejected request) surfaces as ``RunnerUnavailable`` with
a one-line message, so callers need a single ``except`` to keep a game going.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp

MAX_503_RETRIES = 3
MAX_RETRY_WAIT_S = 10.0


class RunnerUnavailable(Exception):
    """The runner could not produce a result; ``str()`` is a one-line reason."""


class RunnerRejected(RunnerUnavailable):
    """The runner refused the request itself (HTTP 400/401); retrying will not help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RunResult:
    """One execution's outcome, exactly the fields of a ``/v1/run`` 200 response."""

    status: str
    stdout: str
    stderr: str
    exit_code: int | None
    duration_ms: float
    truncated: bool
    cached: bool
    runtime: dict = field(default_factory=dict)
    exception: str | None = None  # additive: the raised exception's type name, if any

    @classmethod
    def from_json(cls, data: dict) -> RunResult:
        """Build from a response body; raises RunnerUnavailable if it is not one."""
        try:
            exit_code = data["exit_code"]
            return cls(
                status=str(data["status"]),
                stdout=str(data["stdout"]),
                stderr=str(data["stderr"]),
                exit_code=None if exit_code is None else int(exit_code),
                duration_ms=float(data["duration_ms"]),
                truncated=bool(data["truncated"]),
                cached=bool(data["cached"]),
                runtime=dict(data.get("runtime") or {}),
                exception=data.get("exception"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RunnerUnavailable(f"runner sent a malformed result ({exc!r})") from None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), MAX_RETRY_WAIT_S)
    except ValueError:
        return 1.0


class RunnerClient:
    """``async with RunnerClient(url) as client: result = await client.run(code)``."""

    def __init__(
        self, base_url: str, token: str | None = None, request_timeout_s: float = 30.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.request_timeout_s = request_timeout_s
        self._session: aiohttp.ClientSession | None = None

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers())
        return self._session

    async def _request(
        self,
        method: str,
        path: str,
        payload: dict[str, Any] | None,
        timeout_s: float,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], str | None]:
        url = self.base_url + path
        try:
            async with self._get_session().request(
                method,
                url,
                json=payload,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout_s),
            ) as response:
                text = await response.text(errors="replace")
                retry_after = response.headers.get("Retry-After")
                status = response.status
        except TimeoutError:
            raise RunnerUnavailable(f"runner at {self.base_url} timed out") from None
        except aiohttp.ClientError as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RunnerUnavailable(f"runner at {self.base_url} unreachable: {reason}") from None
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RunnerUnavailable(f"runner answered HTTP {status} without a JSON object")
        return status, body, retry_after

    async def run(
        self,
        code: str,
        *,
        timeout_s: float | None = None,
        seed: int | None = None,
        client: str | None = None,
    ) -> RunResult:
        """Execute ``code``; retries a bounded number of 503s, honouring Retry-After.

        ``client`` (e.g. the chat user a bot runs this for) lets the runner share its
        slots fairly between the people behind one front end.
        """
        payload: dict[str, Any] = {"code": code}
        if timeout_s is not None:
            payload["timeout_s"] = timeout_s
        if seed is not None:
            payload["seed"] = seed
        wait = max(self.request_timeout_s, (timeout_s or 0) + 10)
        for attempt in range(MAX_503_RETRIES + 1):
            status, body, retry_after = await self._request(
                "POST", "/v1/run", payload, wait, {"X-Lrquiz-Client": client} if client else None
            )
            if status == 200:
                return RunResult.from_json(body)
            message = str(body.get("error") or f"HTTP {status}").splitlines()[0]
            if status == 503 and attempt < MAX_503_RETRIES:
                await asyncio.sleep(_retry_after(retry_after))
                continue
            if status in (400, 401, 403, 404, 413):
                raise RunnerRejected(status, f"runner rejected the request: {message}")
            raise RunnerUnavailable(f"runner error (HTTP {status}): {message}")
        raise RunnerUnavailable("runner stayed saturated")  # pragma: no cover

    async def health(self) -> dict:
        status, body, _ = await self._request("GET", "/v1/health", None, self.request_timeout_s)
        if status != 200:
            raise RunnerUnavailable(f"runner health check failed (HTTP {status})")
        return body

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RunnerClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
