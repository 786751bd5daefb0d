"""Screens onto Discord: the answer to one interaction, and posts and edits that outlive it.

Discord shows "This interaction failed" when an interaction gets no response within 3 s,
and rejects a second initial response. `InteractionReplier` funnels every response through
one lock, so its watchdog's deferral and the answer can never both be the initial response,
and when an edit fails it sends a new ephemeral message instead: the player is always told.
`DiscordPlatform` posts publicly and edits stored messages; Discord's refusals become
`DeliveryFailed` (discord.py itself retries 5xx responses a few times first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

import aiohttp
import discord

from bot.conversation.actions import Actor
from bot.conversation.ports import DeliveryFailed
from bot.conversation.screens import Channel as ChannelRef
from bot.conversation.screens import EditorScreen, Notice, Refusal, Rich, Screen, rich
from bot.engine.clock import Clock
from storage.refs import MessageRef

from .parse import PLATFORM
from .render import Message, editor_modal, render

log = logging.getLogger(__name__)

T = TypeVar("T")

# Defer when nothing has answered after this long; Discord's window is 3 s.
ACK_BUDGET_S = 2.0
# Interaction tokens expire after 15 minutes; leave a margin for the edit itself.
TOKEN_TTL_S = 14 * 60
ORIGINAL = "@original"
# Channel types a card can be posted in: text and announcement channels.
POSTABLE_TYPES = (0, 5)
NO_ACCESS = "I need View Channel, Send Messages and Embed Links there"


class InteractionReplier:
    """Answers one interaction. `show(replace=True)` edits the clicked message (or this
    reply once shown); otherwise a new message, private unless `public`."""

    def __init__(
        self, interaction: discord.Interaction, *, public: bool = False, edits_clicked: bool = False
    ) -> None:
        self.interaction = interaction
        self.public = public
        # A click on a run's message is answered by editing that message, so a slow answer
        # defers as an update of it rather than as a new "thinking…" message.
        self.edits_clicked = edits_clicked and interaction.message is not None
        self.budget_s = ACK_BUDGET_S
        self._lock = asyncio.Lock()
        self._target: discord.WebhookMessage | str | None = None
        self._watchdog: asyncio.Task[None] | None = None

    def watch(self) -> None:
        """From now on, defer by itself if nothing has answered within the budget."""
        self._watchdog = asyncio.create_task(self._ack_in_time())

    def stop_watching(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()

    async def _ack_in_time(self) -> None:
        await asyncio.sleep(self.budget_s)
        try:
            await self.defer()
        except Exception:
            log.warning("deferring a slow interaction failed", exc_info=True)

    async def defer(self) -> None:
        async with self._lock:
            response = self.interaction.response
            if response.is_done():
                return
            if self.edits_clicked:
                await response.defer()
            else:
                await response.defer(ephemeral=not self.public, thinking=True)

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        message = render(screen)
        # Only a public answer itself is public; a note about it is for the actor alone.
        private = not self.public or isinstance(screen, Notice | Refusal)
        async with self._lock:
            try:
                await self._show(message, replace, private)
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
                log.warning("answering %s failed (%s); sending a new message", self, error)
                await self._fallback(message)

    async def open_editor(self, editor: EditorScreen) -> None:
        """A modal can only be the first answer to an interaction (a click or a command)."""
        async with self._lock:
            if self.interaction.response.is_done():
                raise DeliveryFailed("this interaction was already answered")
            try:
                await self.interaction.response.send_modal(editor_modal(editor))
            except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
                raise DeliveryFailed(f"Discord refused the editor ({error})") from error

    async def _show(self, message: Message, replace: bool, private: bool) -> None:
        interaction, response = self.interaction, self.interaction.response
        if not response.is_done():
            if replace and interaction.message is not None:
                await response.edit_message(**message.edit_kwargs())
            else:
                await response.send_message(ephemeral=private, **message.send_kwargs())
            self._target = ORIGINAL
        elif self._target is None and (replace or _thinking(response)):
            # Fill in the deferral: the clicked message, or the "thinking…" placeholder.
            await interaction.edit_original_response(**message.edit_kwargs())
            self._target = ORIGINAL
        elif replace and isinstance(self._target, discord.WebhookMessage):
            await self._target.edit(**message.edit_kwargs())
        elif replace:
            await interaction.edit_original_response(**message.edit_kwargs())
        else:
            self._target = await interaction.followup.send(
                ephemeral=private, wait=True, **message.send_kwargs()
            )

    async def _fallback(self, message: Message) -> None:
        """A new ephemeral message, for when the answer itself could not be delivered."""
        response, followup = self.interaction.response, self.interaction.followup
        # A response can also fail because this interaction was answered already (Discord
        # redelivered it): then only a follow-up gets through.
        ways = [followup.send] if response.is_done() else [response.send_message, followup.send]
        for send in ways:
            try:
                await send(ephemeral=True, **message.send_kwargs())
                return
            except Exception as error:
                log.warning("answering %s with a new message failed: %s", self, error)

    def __str__(self) -> str:
        data: Any = self.interaction.data or {}
        what = data.get("custom_id") or data.get("name") or self.interaction.type.name
        return f"interaction {self.interaction.id} ({what!r})"


def _thinking(response: discord.InteractionResponse[Any]) -> bool:
    return response.type == discord.InteractionResponseType.deferred_channel_message


class TokenReplier:
    """Answers an interaction after a restart, through its stored token (if still valid)."""

    def __init__(self, platform: DiscordPlatform, ref: MessageRef | None) -> None:
        self.platform = platform
        self.ref = ref

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        if self.ref is None:
            return
        try:
            await self.platform.edit(self.ref, screen)
        except DeliveryFailed as failed:
            log.info("could not answer an interrupted command: %s", failed.reason)

    async def open_editor(self, editor: EditorScreen) -> None:
        raise DeliveryFailed("an editor opens only in answer to a click")


class DiscordPlatform:
    """Public posts and later edits, by channel id and stored message reference."""

    name = PLATFORM

    def __init__(self, client: discord.Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    async def post(self, channel: str, screen: Screen) -> MessageRef:
        kwargs = render(screen).send_kwargs()
        target = self.client.get_partial_messageable(int(channel))
        sent = await _delivering(target.send(**kwargs))
        return MessageRef(channel, str(sent.id))

    async def edit(self, ref: MessageRef, screen: Screen) -> None:
        kwargs = render(screen).edit_kwargs()
        if ref.message_id != ORIGINAL:
            channel = self.client.get_partial_messageable(int(ref.channel_id))
            await _delivering(channel.get_partial_message(int(ref.message_id)).edit(**kwargs))
            return
        if self.clock.now() - float(ref.data.get("at", 0)) > TOKEN_TTL_S:
            raise DeliveryFailed("its interaction token has expired; the next click shows it")
        webhook = discord.Webhook.partial(
            int(ref.data["application_id"]), str(ref.data["token"]), client=self.client
        )
        await _delivering(webhook.edit_message(ORIGINAL, **kwargs))  # type: ignore[arg-type]

    async def is_admin(self, actor: Actor) -> bool:
        return bool(actor.is_admin)  # every interaction says; this is never the only source

    async def channel_problem(self, actor: Actor, channel: str) -> Rich | None:
        """Why the bot cannot post in this channel, or None; asks Discord, not a cache."""
        try:
            data = await self.client.http.get_channel(int(channel))
        except discord.Forbidden:
            return rich("⚠️ I can't post in ", ChannelRef(channel), f": {NO_ACCESS}.")
        except discord.NotFound:
            return rich(f"⚠️ channel {channel} does not exist, or is in a server I am not in.")
        except (discord.HTTPException, aiohttp.ClientError, OSError):
            return None  # cannot tell; posting will say
        if str(data.get("guild_id")) != actor.workspace:
            return rich("⚠️ channel ", ChannelRef(channel), " is not in this server.")
        if data.get("type") not in POSTABLE_TYPES:
            kind = " is not a text or announcement channel."
            return rich("⚠️ channel ", ChannelRef(channel), kind)
        return None


async def _delivering(call: Awaitable[T]) -> T:
    """Discord's answer, or DeliveryFailed saying why in words fit for an admin."""
    try:
        return await call
    except discord.Forbidden as error:
        raise DeliveryFailed(NO_ACCESS) from error
    except discord.NotFound as error:
        raise DeliveryFailed("the message or channel no longer exists") from error
    except discord.DiscordServerError as error:
        raise DeliveryFailed(f"Discord answered {error.status}", transient=True) from error
    except discord.HTTPException as error:
        raise DeliveryFailed(f"Discord refused it ({error.status})") from error
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise DeliveryFailed("Discord could not be reached", transient=True) from error
