"""One interaction's answer to Discord: on time, exactly once, and never a raw failure.

Discord shows "This interaction failed" when an interaction gets no response within 3 s,
and rejects a second initial response. `Reply` funnels every response through one lock so
the watchdog's deferral and the handler's answer cannot both be the initial response, defers
by itself when the handler is slow (database under load), and turns any error raised inside
`async with Reply(...)` into an ephemeral message (game rules) or an apology plus a logged
traceback (bugs).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Any

import discord

from bot.engine.errors import GameError

from .render import Screen

log = logging.getLogger(__name__)

# Defer when a handler has not answered after this long; Discord's window is 3 s.
ACK_BUDGET_S = 2.0
SORRY = "⚠️ Something went wrong on our side and it has been logged. Please try again."


class Reply:
    """`update=True` answers a button by editing its message; otherwise a new message."""

    def __init__(
        self,
        interaction: discord.Interaction,
        *,
        update: bool = False,
        ephemeral: bool = True,
        budget_s: float | None = None,
    ) -> None:
        self.interaction = interaction
        self.update = update
        self.ephemeral = ephemeral
        self.budget_s = ACK_BUDGET_S if budget_s is None else budget_s
        # True once @original of this interaction's token is the message `show` produced.
        self.showed = False
        self._lock = asyncio.Lock()
        self._watchdog: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Reply:
        _track(self.interaction.client, +1)
        self._watchdog = asyncio.create_task(self._ack_in_time())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        try:
            if self._watchdog is not None:
                self._watchdog.cancel()
            if exc is None or not isinstance(exc, Exception):
                return False
            if isinstance(exc, GameError):
                await self._tell(str(exc))
            else:
                log.error("interaction %s failed", _describe(self.interaction), exc_info=exc)
                await self._tell(SORRY)
            return True
        finally:
            _track(self.interaction.client, -1)

    async def _tell(self, text: str) -> None:
        try:
            await self.say(text)
        except Exception:
            log.exception("could not tell the user about an error")

    async def _ack_in_time(self) -> None:
        await asyncio.sleep(self.budget_s)
        try:
            await self.defer()
        except Exception:
            log.exception("deferring a slow interaction failed")

    async def defer(self) -> None:
        """Acknowledge now and answer later (before anything slow: runner, busy database)."""
        async with self._lock:
            response = self.interaction.response
            if response.is_done():
                return
            if self.update:
                await response.defer()
            else:
                await response.defer(ephemeral=self.ephemeral, thinking=True)

    async def show(self, screen: Screen) -> None:
        """The main answer: edit the clicked message, or send (or fill in) the reply."""
        async with self._lock:
            response = self.interaction.response
            if not response.is_done():
                if self.update:
                    await response.edit_message(**screen.edit_kwargs())
                else:
                    kwargs = screen.send_kwargs()
                    await response.send_message(ephemeral=self.ephemeral, **kwargs)
            else:
                await self.interaction.edit_original_response(**screen.edit_kwargs())
            self.showed = True

    async def say(self, text: str) -> None:
        """A short ephemeral note (an explanation, feedback, an error) for the clicker only."""
        async with self._lock:
            response = self.interaction.response
            if not response.is_done():
                await response.send_message(text, ephemeral=True)
            elif _thinking(response) and not self.showed:
                # Replace the "thinking…" placeholder instead of leaving it spinning.
                await self.interaction.edit_original_response(content=text, embeds=[], view=None)
                self.showed = True
            else:
                await self.interaction.followup.send(text, ephemeral=True)


def _thinking(response: discord.InteractionResponse[Any]) -> bool:
    return response.type == discord.InteractionResponseType.deferred_channel_message


def _track(client: Any, delta: int) -> None:
    """Count handlers in flight, so shutdown (and tests) can wait for them to finish."""
    with contextlib.suppress(AttributeError):
        client.in_flight += delta


def _describe(interaction: discord.Interaction) -> str:
    data: Any = interaction.data or {}
    what = data.get("custom_id") or data.get("name") or interaction.type.name
    return f"{what!r} from user {interaction.user.id if interaction.user else '?'}"
