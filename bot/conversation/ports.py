"""What the conversation needs from a platform: its effects, each one a call on a port.

`Replier` answers the event being handled (privately to whoever acted). `Platform` does
what outlives one event: public posts, later edits of stored messages, and the questions
only the platform can answer (is this user an admin, may the bot post in that channel).
Adapters implement both; the conversation tests implement them by recording.
"""

from __future__ import annotations

from typing import Protocol

from storage.refs import MessageRef

from .actions import Actor
from .screens import EditorScreen, Rich, Screen


class DeliveryFailed(Exception):
    """The platform refused or could not be reached. `reason` is safe to show an admin;
    `transient` says a retry later may succeed (a 5xx, a timeout), unlike a refusal."""

    def __init__(self, reason: str, transient: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Replier(Protocol):
    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        """Show `screen` to the actor only; `replace` edits the message they clicked on
        (or this reply, when it was already shown)."""
        ...

    async def open_editor(self, editor: EditorScreen) -> None:
        """Open an editor for the actor, prefilled with `editor.code` (a modal on Discord
        and Slack, $EDITOR in a terminal), as the answer to this event. Raises
        DeliveryFailed when this event cannot open one (e.g. Slack's trigger expired)."""
        ...


class Platform(Protocol):
    name: str

    async def post(self, channel: str, screen: Screen) -> MessageRef:
        """Post publicly; raises DeliveryFailed."""
        ...

    async def edit(self, ref: MessageRef, screen: Screen) -> None:
        """Replace a stored message (a card, a live question, a run's private message);
        raises DeliveryFailed."""
        ...

    async def is_admin(self, actor: Actor) -> bool:
        """May this actor use admin commands (asked only when the event did not say)?"""
        ...

    async def channel_problem(self, actor: Actor, channel: str) -> Rich | None:
        """Why the bot cannot post in `channel`, or None when it can (or cannot tell)."""
        ...
