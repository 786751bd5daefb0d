"""`/lrquiz-admin` beyond live questions: schedules, posting today's card, announcements.

Every command checks Manage Server again when it runs (a server can re-grant the command to
anyone) and answers privately. What makes a schedule valid is the core's decision
(`bot.scheduler.Schedules`, whose ScheduleError names the bad value); this module only
checks what only Discord can tell: whether the channel is one the bot can see and post in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.engine.schedule import ScheduleError, next_occurrence
from storage.settings import WorkspaceSettings

from . import render
from .live import DENIED, NO_GUILD, cannot_post, may_manage
from .reply import Reply
from .runs import PLATFORM, player_ref, workspace_of

if TYPE_CHECKING:
    from .client import LrquizBot

log = logging.getLogger(__name__)

# Channel types a card can be posted in: text and announcement channels.
POSTABLE_TYPES = (0, 5)


class AdminFlow:
    def __init__(self, bot: LrquizBot) -> None:
        self.bot = bot
        self.service = bot.service

    @property
    def schedules(self):
        return self.bot.dailies.schedules

    async def _allowed(self, reply: Reply, interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            await reply.say(NO_GUILD)
            return False
        if not may_manage(interaction):
            await reply.say(DENIED)
            return False
        return True

    async def _channel_problem(
        self, interaction: discord.Interaction, channel_id: int
    ) -> str | None:
        """Why the bot cannot post in this channel, or None; asks Discord, not a cache."""
        try:
            data = await self.bot.http.get_channel(channel_id)
        except discord.Forbidden:
            return cannot_post(channel_id)
        except discord.NotFound:
            return f"⚠️ channel {channel_id} does not exist, or is in a server I am not in."
        if str(data.get("guild_id")) != str(interaction.guild_id):
            return f"⚠️ channel <#{channel_id}> is not in this server."
        if data.get("type") not in POSTABLE_TYPES:
            return f"⚠️ channel <#{channel_id}> is not a text or announcement channel."
        return None

    # --- schedules ----------------------------------------------------------------------

    async def schedule_add(
        self,
        interaction: discord.Interaction,
        time: str,
        timezone: str,
        channel_id: int | None,
        weekdays: str,
        pack: str | None,
        format: str,
    ) -> None:
        async with Reply(interaction) as reply:
            if not await self._allowed(reply, interaction):
                return
            target = channel_id or interaction.channel_id
            assert target is not None
            problem = await self._channel_problem(interaction, target)
            if problem is not None:
                await reply.say(problem)
                return
            creator = await self.service.player_id(player_ref(interaction))
            try:
                added = await self.schedules.add(
                    workspace_of(interaction),
                    str(target),
                    time,
                    timezone,
                    weekdays,
                    pack,
                    format,
                    creator,
                )
            except ScheduleError as error:
                await reply.say(f"⚠️ {error}")
                return
            self.bot.scheduler.poke()
            first = next_occurrence(added.spec, self.service.clock.now()).at
            await reply.say(
                f"🗓️ Added schedule `{added.id}`: {added.spec.describe()} in <#{target}>. "
                f"First post {render.stamp(first)} ({render.stamp(first, 'f')})."
            )

    async def schedule_list(self, interaction: discord.Interaction) -> None:
        async with Reply(interaction) as reply:
            if not await self._allowed(reply, interaction):
                return
            items = await self.schedules.list(workspace_of(interaction))
            embed = render.schedules(items, self.service.clock.now())
            await reply.show(render.Screen(embeds=[embed]))

    async def schedule_change(
        self, interaction: discord.Interaction, action: str, schedule_id: str
    ) -> None:
        """remove, pause or resume one schedule of this server."""
        async with Reply(interaction) as reply:
            if not await self._allowed(reply, interaction):
                return
            change = {
                "remove": (self.schedules.remove, "🗑️ Removed"),
                "pause": (self.schedules.pause, "⏸️ Paused"),
                "resume": (self.schedules.resume, "▶️ Resumed"),
            }
            run, done = change[action]
            try:
                await run(workspace_of(interaction), schedule_id)
            except ScheduleError as error:
                await reply.say(f"⚠️ {error}")
                return
            self.bot.scheduler.poke()
            await reply.say(f"{done} schedule `{schedule_id.strip()}`.")

    # --- today's card now ---------------------------------------------------------------

    async def post_daily(
        self,
        interaction: discord.Interaction,
        channel_id: int | None,
        timezone: str | None,
        pack: str | None,
    ) -> None:
        async with Reply(interaction) as reply:
            if not await self._allowed(reply, interaction):
                return
            await reply.defer()  # a database write and a channel message
            workspace = workspace_of(interaction)
            target = channel_id or interaction.channel_id
            assert target is not None
            zone = timezone or await self.bot.dailies.server_timezone(workspace)
            try:
                posting, ref, posted = await self.bot.dailies.publish(
                    workspace, str(target), zone, pack
                )
            except ValueError as error:  # ScheduleError (time zone) or an unknown pack
                await reply.say(f"⚠️ {error}")
                return
            except discord.Forbidden:
                await reply.say(cannot_post(target))
                return
            daily = posting.daily
            if ref is None:
                await reply.say(
                    f"📅 The daily challenge for {daily.local_date} is being posted in "
                    f"<#{target}> right now."
                )
                return
            link = (
                f"https://discord.com/channels/{interaction.guild_id}/"
                f"{ref.channel_id}/{ref.message_id}"
            )
            if posted:
                await reply.say(
                    f"📅 Posted the daily challenge for {daily.local_date} in <#{target}>; "
                    f"it closes {render.stamp(daily.ends_at)}. {link}"
                )
            else:
                await reply.say(
                    f"📅 The daily challenge for {daily.local_date} is already posted "
                    f"in <#{target}>: {link}"
                )

    # --- badge announcements ------------------------------------------------------------

    async def announce(
        self, interaction: discord.Interaction, state: str, channel_id: int | None
    ) -> None:
        async with Reply(interaction) as reply:
            if not await self._allowed(reply, interaction):
                return
            if state not in ("on", "off"):
                await reply.say(f"⚠️ state {state!r} is not on or off")
                return
            workspace = workspace_of(interaction)
            if channel_id is not None:
                problem = await self._channel_problem(interaction, channel_id)
                if problem is not None:
                    await reply.say(problem)
                    return
            before = await self.service.settings(PLATFORM, workspace)
            channel = str(channel_id) if channel_id is not None else before.announce_channel
            await self.service.update_settings(
                PLATFORM, workspace, WorkspaceSettings(state == "on", channel)
            )
            if state == "off":
                await reply.say("🔕 Badge awards are no longer announced.")
            elif channel:
                await reply.say(f"🎖️ Badge awards will be announced in <#{channel}>.")
            else:
                await reply.say(
                    "🎖️ Badge awards will be announced in the channel where they are earned."
                )
