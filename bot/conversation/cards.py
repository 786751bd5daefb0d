"""Daily challenge cards and scheduled posts: posted once per channel and day, closed into
the day's summary at local midnight (or when the next card is posted)."""

from __future__ import annotations

import logging

from bot.dailies import ClosedDaily, DailyChallenges, DailyPosting
from bot.engine.schedule import Occurrence
from storage.refs import MessageRef
from storage.schedules import StoredSchedule

from .actions import DailyLeaderboard, Envelope
from .context import Context
from .live import Live
from .ports import DeliveryFailed, Replier
from .records import Records
from .screens import DailyCardScreen, DailyClosedScreen

log = logging.getLogger(__name__)


class Cards:
    def __init__(self, ctx: Context, live: Live, records: Records) -> None:
        self.ctx = ctx
        self.live = live
        self.records = records
        self.dailies = DailyChallenges(ctx.service)

    async def publish(
        self,
        workspace: str,
        channel: str,
        timezone: str,
        pack_id: str | None = None,
        schedule_id: str | None = None,
    ) -> tuple[DailyPosting, MessageRef | None, bool]:
        """Today's card in a channel, posted unless it already is.

        Returns (posting, where, posted now); where is None while another caller is still
        posting it. Earlier open cards of the channel are closed into their summaries.
        Raises ValueError (a bad time zone or pack) and DeliveryFailed.
        """
        ctx, service = self.ctx, self.ctx.service
        posting = await self.dailies.post(
            ctx.name, workspace, channel, timezone, pack_id, schedule_id
        )
        for closed in posting.closed:
            await self.closed_by_day_end(closed)
        daily = posting.daily
        ref = await service.message_ref(ctx.name, "daily", daily.id)
        # Only the one caller that claims the card posts it (a schedule and an admin may
        # race); a card whose post failed was released and is posted again.
        if ref is not None or not await service.claim_message(ctx.name, "daily", daily.id):
            return posting, ref, False
        try:
            ref = await ctx.platform.post(
                channel, DailyCardScreen(daily, service.pack(daily.pack_id))
            )
        except BaseException:
            await service.release_message(ctx.name, "daily", daily.id)
            raise
        await service.remember_message(ctx.name, "daily", daily.id, ref)
        ctx.poke_deadlines()  # the card's end of day is the watcher's next wake-up
        return posting, ref, True

    async def fire(self, schedule: StoredSchedule, occurrence: Occurrence) -> None:
        """The scheduler's callback: post the occurrence; raising lets it retry or fail."""
        spec = schedule.spec
        log.info(
            "schedule %s fires for %s: %s", schedule.id, occurrence.local_date, spec.describe()
        )
        if spec.format == "live":
            await self.live.publish(schedule.workspace, schedule.channel_id, pack_id=spec.pack_id)
        else:
            await self.publish(
                schedule.workspace, schedule.channel_id, spec.timezone, spec.pack_id, schedule.id
            )

    async def closed_by_day_end(self, closed: ClosedDaily) -> None:
        """The day is over: the card shows who played, perfect runs and the hardest one."""
        ctx, service = self.ctx, self.ctx.service
        daily = closed.daily
        ref = await service.message_ref(ctx.name, "daily", daily.id)
        if ref is None:
            log.info("daily %s closed but its card was never posted here", daily.id)
            return
        pack = service.pack(daily.pack_id)
        hardest_id = closed.summary.hardest_problem_id
        hardest = pack.problem(hardest_id) if hardest_id else None
        try:
            await ctx.platform.edit(ref, DailyClosedScreen(daily, pack, closed.summary, hardest))
        except DeliveryFailed as failed:  # a deleted card or lost access: nothing to repair
            log.warning("could not update daily card %s: %s", daily.id, failed)

    async def leaderboard(
        self, envelope: Envelope, replier: Replier, action: DailyLeaderboard
    ) -> None:
        """Today's board with the clicker's own rank, for the clicker only."""
        await replier.show(await self.records.board(envelope.actor, "day"))
