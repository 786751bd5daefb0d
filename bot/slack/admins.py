"""Who may use `/lrquiz admin`: workspace admins and owners, or users named in the environment.

`users.info` is asked at most once per user per TTL, because admin commands are rare but
Slack rate-limits `users.info` and a click must be acknowledged within 3 seconds.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)

ADMINS_ENV = "LRQUIZ_SLACK_ADMINS"
CACHE_TTL_S = 600.0


def admins_from_env(value: str | None = None) -> frozenset[str]:
    """User ids from `LRQUIZ_SLACK_ADMINS`, separated by commas and/or spaces."""
    raw = os.environ.get(ADMINS_ENV, "") if value is None else value
    return frozenset(part for part in raw.replace(",", " ").split() if part)


class AdminCheck:
    def __init__(
        self,
        client: AsyncWebClient,
        extra_admins: Iterable[str] = (),
        ttl_s: float = CACHE_TTL_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.extra_admins = frozenset(extra_admins)
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._cache: dict[tuple[str, str], tuple[bool, float]] = {}

    async def is_admin(self, team_id: str, user_id: str) -> bool:
        if user_id in self.extra_admins:
            return True
        key = (team_id, user_id)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > self.monotonic():
            return cached[0]
        try:
            response = await self.client.users_info(user=user_id)
        except SlackApiError as error:
            # Failing closed is safe; not caching means the next try asks again.
            log.warning("users.info for %s failed: %s", user_id, error.response.get("error"))
            return False
        user = response.get("user") or {}
        allowed = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        self._cache[key] = (allowed, self.monotonic() + self.ttl_s)
        return allowed
