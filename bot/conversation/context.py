"""What every part of the conversation shares: the service, the platform, the runner, and
the background loops (deadlines, schedules) that must hear about new deadlines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.real_output import Runner
from bot.service import Delivery, GameService
from storage.users import PlayerRef

from .actions import Actor, Envelope
from .ports import Platform
from .screens import Person


@dataclass
class Context:
    service: GameService
    platform: Platform
    runner: Runner | None = None
    # Where days are counted when the platform knows better than its schedules (a
    # terminal: the machine's own zone); None asks the workspace's schedules.
    home_timezone: str | None = None
    # Set once the deadline watcher and scheduler exist, to re-plan their next wake-up.
    poke_deadlines: Callable[[], None] = field(default=lambda: None)
    poke_schedules: Callable[[], None] = field(default=lambda: None)

    @property
    def name(self) -> str:
        return self.platform.name


def delivery(envelope: Envelope) -> Delivery:
    return Delivery(envelope.actor.ref, envelope.key, envelope.reply)


def person(ref: PlayerRef) -> Person:
    return Person(ref.platform, ref.external_id, ref.display_name)


def actor_person(actor: Actor) -> Person:
    return Person(actor.platform, actor.user_id, actor.name)
