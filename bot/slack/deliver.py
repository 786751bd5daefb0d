"""Screens delivered to Slack: privately through response_urls, publicly with the Web API.

A private answer goes to the event's response_url; if Slack refuses it or cannot be
reached after retries, the player still gets it as chat.postEphemeral. A clicked public
message (a daily card) is never replaced: answers to it are new private messages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.conversation.actions import Actor
from bot.conversation.ports import DeliveryFailed
from bot.conversation.screens import (
    EditorScreen,
    Notice,
    RunScreen,
    Screen,
    SnippetResultScreen,
)
from storage.refs import MessageRef

from .admins import AdminCheck
from .render import Message, editor_view, render, result_blocks, rich_text, sections
from .transport import ResponseUrls

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Web API errors that are Slack's or the network's fault, worth another try later.
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "timeout"}


def _failed(error: SlackApiError) -> DeliveryFailed:
    code = str(error.response.get("error") or "error")
    status = getattr(error.response, "status_code", 200) or 200
    return DeliveryFailed(code, transient=code in TRANSIENT or status >= 500)


class SlackReplier:
    """Answers one command or click, only to the person who sent it."""

    def __init__(
        self,
        client: AsyncWebClient,
        urls: ResponseUrls,
        actor: Actor,
        reply: MessageRef | None,
        now: Callable[[], float],
    ) -> None:
        self.client = client
        self.urls = urls
        self.now = now
        self.actor = actor
        self.url = str((reply.data if reply else {}).get("response_url") or "")
        # A command's or click's trigger_id: it opens a modal within 3 seconds, once.
        self.trigger_id = str((reply.data if reply else {}).get("trigger_id") or "")
        # False when the click came from a public message, which must stay as it is.
        self.may_replace = bool((reply.data if reply else {}).get("replace", True))

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        message = render(screen, self.now())
        if replace and self.may_replace:
            payload = message.payload(replace_original=True)
        else:
            payload = message.payload(response_type="ephemeral", replace_original=False)
        if await self.urls.post(self.url, payload):
            return
        await self._ephemeral(message)

    async def open_editor(self, editor: EditorScreen) -> None:
        if not self.trigger_id:
            raise DeliveryFailed("no trigger_id to open a modal with")
        try:
            await self.client.views_open(
                trigger_id=self.trigger_id, view=editor_view(editor, self.actor.channel)
            )
        except SlackApiError as error:
            raise _failed(error) from None

    async def _ephemeral(self, message: Message) -> None:
        """The fallback: a new private message, so the player is always told."""
        if not self.actor.channel:
            log.warning("no way left to answer %s", self.actor.user_id)
            return
        try:
            await self.client.chat_postEphemeral(
                channel=self.actor.channel, user=self.actor.user_id, **message.payload()
            )
        except SlackApiError as error:
            log.warning("chat.postEphemeral failed too: %s", error.response.get("error"))


class SlackViewReplier:
    """Answers a submitted Edit & run modal in the modal itself (views.update): the result
    above the input that still holds the learner's text, so Run again is one click. Slack
    posts nothing in a channel for it, so it works where the app is not a member. Anything
    else, or a modal closed meanwhile, goes to `fallback` (a private message)."""

    def __init__(
        self,
        client: AsyncWebClient,
        view_id: str,
        editor: EditorScreen,
        fallback: SlackReplier,
    ) -> None:
        self.client = client
        self.view_id = view_id
        self.editor = editor
        self.fallback = fallback

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        above = self._in_modal(screen)
        if above is not None and self.view_id:
            channel = self.fallback.actor.channel
            view = editor_view(self.editor, channel, above, submit="Run again")
            try:
                await self.client.views_update(view_id=self.view_id, view=view)
                return
            except SlackApiError as error:
                reason = error.response.get("error")
                log.info("views.update failed (%s); answering privately", reason)
        await self.fallback.show(screen, replace=replace)

    @staticmethod
    def _in_modal(screen: Screen) -> list[dict[str, Any]] | None:
        """What goes above the input: the result, or why there is none (a failure)."""
        if isinstance(screen, SnippetResultScreen):
            return result_blocks(screen)
        if isinstance(screen, Notice):
            return sections(rich_text(screen.text))
        return None

    async def open_editor(self, editor: EditorScreen) -> None:
        raise DeliveryFailed("a submitted modal opens no other modal")


class SlackPlatform:
    name = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        urls: ResponseUrls,
        admins: AdminCheck,
        now: Callable[[], float],
    ) -> None:
        self.client = client
        self.urls = urls
        self.admins = admins
        self.now = now

    async def post(self, channel: str, screen: Screen) -> MessageRef:
        try:
            posted = await self.client.chat_postMessage(
                channel=channel, **render(screen, self.now()).payload()
            )
        except SlackApiError as error:
            raise _failed(error) from None
        return MessageRef(str(posted["channel"]), str(posted["ts"]))

    async def edit(self, ref: MessageRef, screen: Screen) -> None:
        url = ref.data.get("response_url")
        if url is not None:
            await self._edit_private(str(url), bool(ref.data.get("replace", True)), screen)
            return
        try:
            await self.client.chat_update(
                channel=ref.channel_id, ts=ref.message_id, **render(screen, self.now()).payload()
            )
        except SlackApiError as error:
            raise _failed(error) from None

    async def _edit_private(self, url: str, replace: bool, screen: Screen) -> None:
        """A run's private message, through its last response_url (valid 30 minutes)."""
        if not replace and isinstance(screen, RunScreen) and screen.output_pending:
            return  # a new message per stage would be noise; wait for the final one
        payload: dict[str, Any]
        if replace:
            payload = render(screen, self.now()).payload(replace_original=True)
        else:  # a public card's response_url: add a private message, never replace the card
            payload = render(screen, self.now()).payload(
                response_type="ephemeral", replace_original=False
            )
        if not await self.urls.post(url, payload):
            raise DeliveryFailed("the response_url expired or was refused")

    async def is_admin(self, actor: Actor) -> bool:
        return await self.admins.is_admin(actor.workspace, actor.user_id)

    async def channel_problem(self, actor: Actor, channel: str) -> None:
        return None  # checking a channel needs channels:read, which the app does not ask for
