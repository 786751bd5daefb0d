"""Leaderboard, stats, badges and help: reads only, so they work on a read-only database.

Looking someone up never creates them: a player who has not played yet gets an empty
record, not a new row.
"""

from __future__ import annotations

from bot.dailies import DailyChallenges
from bot.engine.periods import PERIODS
from bot.engine.stats import build_stats
from bot.scheduler import Schedules

from .actions import Actor, Envelope, ShowHelp, ShowLeaderboard, ShowStats
from .context import Context, actor_person, person
from .ports import Replier
from .screens import (
    BadgesScreen,
    HelpScreen,
    LeaderboardScreen,
    Notice,
    Person,
    RankedRow,
    StatsScreen,
    rich,
)


class Records:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.schedules = Schedules(ctx.service, ctx.name)
        self.dailies = DailyChallenges(ctx.service)

    async def _me(self, actor: Actor) -> int | None:
        return await self.ctx.service.find_player(actor.platform, actor.workspace, actor.user_id)

    async def streak(self, actor: Actor, player_id: int | None) -> int | None:
        """Daily streak in the workspace's home time zone; none in direct messages."""
        if actor.direct:
            return None
        if player_id is None:
            return 0
        zone = self.ctx.home_timezone or await self.schedules.home_timezone(actor.workspace)
        return await self.dailies.streak(player_id, actor.platform, actor.workspace, zone)

    async def leaderboard(
        self, envelope: Envelope, replier: Replier, action: ShowLeaderboard
    ) -> None:
        period = action.period.strip().lower() or "all"
        if period not in PERIODS:
            await replier.show(
                Notice(
                    rich(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}."), "warning"
                )
            )
            return
        await replier.show(await self.board(envelope.actor, period))

    async def board(self, actor: Actor, period: str) -> LeaderboardScreen:
        service = self.ctx.service
        me = await self._me(actor)
        board = await service.leaderboard(actor.platform, actor.workspace, period, me)

        async def ranked(row) -> RankedRow:
            ref = await service.player(row.user_id)
            who = person(ref) if ref is not None else Person("", "", row.name)
            return RankedRow(row, who)

        rows = tuple([await ranked(row) for row in board.rows])
        listed = any(r.user_id == me for r in board.rows)
        own = await ranked(board.own) if board.own is not None and not listed else None
        return LeaderboardScreen(board.period, rows, own, actor_person(actor))

    async def stats(self, envelope: Envelope, replier: Replier, action: ShowStats) -> None:
        actor, service = envelope.actor, self.ctx.service
        if action.user_id is None or action.user_id == actor.user_id:
            who, player_id = actor_person(actor), await self._me(actor)
        else:
            who = Person(actor.platform, action.user_id, action.name or action.user_id)
            player_id = await service.find_player(actor.platform, actor.workspace, action.user_id)
            if player_id is None:
                await replier.show(Notice(rich(who, " hasn't played here yet.")))
                return
        view = (
            await service.stats(player_id)
            if player_id is not None
            else build_stats(who.name, [], [])
        )
        await replier.show(StatsScreen(view, who, await self.streak(actor, player_id)))

    async def badges(self, envelope: Envelope, replier: Replier) -> None:
        service = self.ctx.service
        player_id = await self._me(envelope.actor)
        owned = await service.badges(player_id) if player_id is not None else []
        earned = tuple(
            (badge, count)
            for badge_id, count in owned
            if (badge := service.badge(badge_id)) is not None
        )
        streak = await self.streak(envelope.actor, player_id)
        available = tuple(service.all_badges.values())  # the packs' own and the built-in ones
        await replier.show(BadgesScreen(earned, available, streak))

    async def help(self, replier: Replier, action: ShowHelp) -> None:
        note = rich(f"I don't know “{action.unknown}”.") if action.unknown else None
        await replier.show(HelpScreen(note, action.admin))
