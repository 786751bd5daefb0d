"""Slack HTTP clients: the Web API (base URL overridable) and response_url, both retrying 429s.

SLACK_API_URL exists for proxies, Enterprise Grid gateways and the offline tests, which
point it at a local fake. Rate-limited calls wait for Retry-After and try again instead of
dropping a player's reveal.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 3
RESPONSE_URL_TIMEOUT_S = 15


def api_base_url(url: str | None) -> str:
    """The Web API base URL with the trailing slash the SDK joins method names onto."""
    url = (url or "").strip() or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def web_client(token: str, api_url: str | None = None) -> AsyncWebClient:
    client = AsyncWebClient(token=token, base_url=api_base_url(api_url))
    client.retry_handlers.append(
        AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)
    )
    return client


async def post_response_url(url: str, payload: dict[str, Any]) -> bool:
    """POST to a response_url; False (and a log line) when Slack refuses or cannot be reached.

    response_urls expire after 30 minutes or 5 uses, so failure is an expected outcome.
    """
    if not url:
        return False
    client = AsyncWebhookClient(
        url,
        timeout=RESPONSE_URL_TIMEOUT_S,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )
    try:
        response = await client.send_dict(payload)
    except Exception as error:  # network errors must not break the click that caused them
        log.warning("response_url post failed: %s", error)
        return False
    if response.status_code != 200:
        log.warning("response_url refused (%s): %s", response.status_code, response.body)
        return False
    return True
