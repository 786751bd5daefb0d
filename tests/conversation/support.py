"""A recording platform and replier: the conversation's effects, as a test can read them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.conversation.actions import Action, Actor, Envelope
from bot.conversation.ports import DeliveryFailed
from bot.conversation.screens import EditorScreen, Notice, Rich, Screen
from storage.refs import MessageRef

PLATFORM = "chat"
_keys = itertools.count(1)


@dataclass
class Shown:
    screen: Screen
    replace: bool


@dataclass
class RecordingReplier:
    shown: list[Shown] = field(default_factory=list)
    editors: list[EditorScreen] = field(default_factory=list)

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        self.shown.append(Shown(screen, replace))

    async def open_editor(self, editor: EditorScreen) -> None:
        self.editors.append(editor)

    @property
    def last(self) -> Screen:
        return self.shown[-1].screen


@dataclass
class RecordingPlatform:
    name: str = PLATFORM
    posts: list[tuple[str, Screen]] = field(default_factory=list)
    edits: list[tuple[MessageRef, Screen]] = field(default_factory=list)
    admins: set[str] = field(default_factory=set)
    refuse_posts: str | None = None  # a reason: every post fails with it
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    async def post(self, channel: str, screen: Screen) -> MessageRef:
        if self.refuse_posts:
            raise DeliveryFailed(self.refuse_posts)
        self.posts.append((channel, screen))
        return MessageRef(channel, f"m{next(self._ts)}")

    async def edit(self, ref: MessageRef, screen: Screen) -> None:
        self.edits.append((ref, screen))

    async def is_admin(self, actor: Actor) -> bool:
        return actor.user_id in self.admins

    async def channel_problem(self, actor: Actor, channel: str) -> Rich | None:
        return None


def actor(user: str = "ann", channel: str = "C1", workspace: str = "W1") -> Actor:
    return Actor(PLATFORM, workspace, user, user.capitalize(), channel)


def envelope(action: Action, who: Actor | None = None, key: str | None = "") -> Envelope:
    """A delivery with a fresh id (`key=""`), a given one, or none (`key=None`)."""
    who = who or actor()
    delivery_id = f"k{next(_keys)}" if key == "" else key
    reply = MessageRef(who.channel, "reply", {"to": delivery_id})
    return Envelope(who, action, delivery_id, reply)


def text(screen: Screen) -> str:
    assert isinstance(screen, Notice), screen
    return screen.text.plain()
