"""Daily challenge cards: posted in a channel (by a schedule or an admin), played privately.

The card is a public message with **Start** and **Leaderboard**; Start opens the clicker's
own timed run of the day's problems, which then plays exactly like `/lrquiz challenge`
(RunFlow handles its buttons). Which problems, who may play and when the day ends are the
core's decisions (`bot.dailies`); this module posts the card, remembers where it is, and
edits it with the day's summary when the watcher closes it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.dailies import ClosedDaily, DailyChallenges, DailyPosting
from bot.engine.schedule import Occurrence
from bot.scheduler import Schedules
from storage.refs import MessageRef
from storage.schedules import StoredSchedule

from . import render
from .reply import Reply
from .runs import PLATFORM, player_ref, workspace_of

if TYPE_CHECKING:
    from .client import LrquizBot

log = logging.getLogger(__name__)


class DailyFlow:
    def __init__(self, bot: LrquizBot) -> None:
        self.bot = bot
        self.service = bot.service
        self.core = DailyChallenges(bot.service)
        self.schedules = Schedules(bot.service, PLATFORM)

    async def server_timezone(self, workspace: str) -> str:
        """The time zone of the server's first schedule, else UTC (streaks, post-daily)."""
        return await self.schedules.home_timezone(workspace)

    async def streak(self, player_id: int, workspace: str) -> int:
        timezone = await self.server_timezone(workspace)
        return await self.core.streak(player_id, PLATFORM, workspace, timezone)

    # --- posting ------------------------------------------------------------------------

    async def publish(
        self,
        workspace: str,
        channel_id: str,
        timezone: str,
        pack_id: str | None = None,
        schedule_id: str | None = None,
    ) -> tuple[DailyPosting, MessageRef | None, bool]:
        """Today's card in a channel: posted unless it already is.

        Returns (posting, where, posted now); where is None while another caller is still
        posting it. Earlier open cards of the channel are closed and show their summary.
        Raises ValueError (ScheduleError) for a bad time zone or pack, discord.Forbidden
        when the bot may not post there.
        """
        posting = await self.core.post(
            PLATFORM, workspace, channel_id, timezone, pack_id, schedule_id
        )
        daily = posting.daily
        ref = await self.service.message_ref(PLATFORM, "daily", daily.id)
        # Only the one caller that claims the card posts it (a schedule and an admin may
        # race); a card whose first send failed was released and is posted again.
        posted = ref is None and await self.service.claim_message(PLATFORM, "daily", daily.id)
        if posted:
            screen = render.daily_card(daily, self.service.pack(daily.pack_id))
            channel = self.bot.get_partial_messageable(int(channel_id))
            try:
                message = await channel.send(**screen.send_kwargs())
            except BaseException:
                await self.service.release_message(PLATFORM, "daily", daily.id)
                raise
            ref = MessageRef(channel_id, str(message.id))
            await self.service.remember_message(PLATFORM, "daily", daily.id, ref)
            self.bot.watcher.poke()  # its end of day is the watcher's next wake-up
        for closed in posting.closed:
            await self.closed_by_day_end(closed)
        return posting, ref, posted

    async def fire(self, schedule: StoredSchedule, occurrence: Occurrence) -> None:
        """The scheduler's callback: post the occurrence's card or live question (or raise)."""
        log.info("schedule %s fires for %s", schedule.id, occurrence.local_date)
        if schedule.spec.format == "live":
            await self.bot.lives.publish(
                schedule.workspace, int(schedule.channel_id), pack_id=schedule.spec.pack_id
            )
            return
        await self.publish(
            schedule.workspace,
            schedule.channel_id,
            schedule.spec.timezone,
            schedule.spec.pack_id,
            schedule.id,
        )

    async def closed_by_day_end(self, closed: ClosedDaily) -> None:
        """The day is over (midnight, or the next card): the card shows the summary."""
        ref = await self.service.message_ref(PLATFORM, "daily", closed.daily.id)
        if ref is None:
            return  # posted by another front end, or its post failed
        pack = self.service.pack(closed.daily.pack_id)
        screen = render.daily_closed(closed.daily, pack, closed.summary)
        channel = self.bot.get_partial_messageable(int(ref.channel_id))
        try:
            await channel.get_partial_message(int(ref.message_id)).edit(**screen.edit_kwargs())
        except discord.HTTPException as error:  # deleted card, lost access: nothing to fix
            log.warning("could not update daily card %s: %s", closed.daily.id, error)

    # --- the card's buttons -------------------------------------------------------------

    async def start(self, interaction: discord.Interaction, daily_id: str) -> None:
        """Start (or resume) the clicker's run of the day, in a message only they see."""
        async with Reply(interaction) as reply:
            player = await self.service.player_id(player_ref(interaction))
            daily = await self.core.get(daily_id)
            session = await self.core.start(daily_id, player)  # once a day: GameErrors
            resumed = await self.service.message_ref(PLATFORM, "run", session.id) is not None
            screen = await self.bot.runs.screen(session, reply)
            screen.content = render.daily_start_note(daily, resumed)
            await reply.show(screen)
            await self.bot.runs.remember(interaction, reply, session.id)
            self.bot.watcher.poke()  # the first question's deadline

    async def leaderboard(self, interaction: discord.Interaction, daily_id: str) -> None:
        """Today's server leaderboard with the clicker's own rank, for the clicker only."""
        async with Reply(interaction) as reply:
            me = await self.service.player_id(player_ref(interaction))
            board = await self.service.leaderboard(PLATFORM, workspace_of(interaction), "day", me)
            await reply.show(render.Screen(embeds=[render.leaderboard(board, me)]))
