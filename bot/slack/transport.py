"""Slack HTTP clients: the Web API (base URL overridable) and response_urls.

Both retry what a retry can fix: 429 after Retry-After, and 5xx or a broken connection with
a short backoff. response_url posts share one aiohttp session and its connections, because
opening a session per post was a third of the CPU of a click. SLACK_API_URL exists for
proxies, Enterprise Grid gateways and the offline tests, which point it at a local fake.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
RETRIES = 3
RESPONSE_URL_TIMEOUT_S = 10.0
BACKOFF_S = (0.25, 1.0, 3.0)
RETRY_AFTER_MAX_S = 30.0


def api_base_url(url: str | None) -> str:
    """The Web API base URL with the trailing slash the SDK joins method names onto."""
    url = (url or "").strip() or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(token: str, api_url: str | None = None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_base_url(api_url))
    client.retry_handlers.extend(
        [
            AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
            AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
            AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
        ]
    )
    return client


class ResponseUrls:
    """POSTs to response_urls over one shared session; `post` says whether Slack took it."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=RESPONSE_URL_TIMEOUT_S)
            )
        return self._session

    async def post(self, url: str, payload: dict[str, Any]) -> bool:
        """False (and a log line) when Slack refuses or cannot be reached after retries.

        response_urls expire after 30 minutes or 5 uses, so refusal is an expected outcome.
        """
        if not url:
            return False
        for attempt in range(RETRIES + 1):
            try:
                async with self._client().post(url, json=payload) as response:
                    if response.status == 200:
                        return True
                    body = (await response.text())[:200]
                    if response.status == 429:
                        wait = float(response.headers.get("Retry-After", "1") or 1)
                        delay = min(RETRY_AFTER_MAX_S, max(0.0, wait))
                    elif response.status >= 500:
                        delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                    else:
                        log.warning("response_url refused (%s): %s", response.status, body)
                        return False
            except (aiohttp.ClientError, TimeoutError) as error:
                delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
                body = repr(error)
            if attempt < RETRIES:
                await asyncio.sleep(delay)
        log.warning("response_url failed after %d tries: %s", RETRIES + 1, body)
        return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
