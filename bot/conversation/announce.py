"""Badge announcements: a finished run's new badges, posted once where the workspace wants."""

from __future__ import annotations

import logging

from bot.engine.state import SessionState
from storage.refs import MessageRef

from .context import Context, person
from .ports import DeliveryFailed
from .screens import BadgeAnnouncement

log = logging.getLogger(__name__)

# Direct messages on Discord share this pseudo-workspace; there is nobody to announce to.
DIRECT_WORKSPACE = "dm"


async def announce_badges(ctx: Context, session: SessionState, channel_hint: str) -> None:
    """Post the run's badges if the workspace opted in; at most once per run, ever."""
    if not session.is_finished or not session.badges:
        return
    service = ctx.service
    player = await service.player(session.player_id)
    if player is None or player.platform != ctx.name or player.workspace == DIRECT_WORKSPACE:
        return
    settings = await service.settings(ctx.name, player.workspace)
    channel = settings.announce_channel or channel_hint
    if not settings.announce_badges or not channel:
        return
    earned = tuple(b for bid in session.badges if (b := service.badge(bid)) is not None)
    if not earned or not await service.claim_message(ctx.name, "badges", session.id):
        return  # announced already (or being announced by another process)
    try:
        posted: MessageRef = await ctx.platform.post(
            channel, BadgeAnnouncement(person(player), earned)
        )
    except DeliveryFailed as failed:  # the player has their result; this is a bonus
        log.warning("could not announce badges of run %s: %s", session.id, failed)
        return
    await service.remember_message(ctx.name, "badges", session.id, posted)
