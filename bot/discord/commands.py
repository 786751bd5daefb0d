"""The slash commands: `/lrquiz …` for everyone and `/lrquiz-admin …` for server managers.

The groups do not hold a reference to a running bot (handlers reach it through
`interaction.client`), so `lrquiz discord sync` can build and upload them without opening
the database.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, cast
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.engine.badges import badges_of
from bot.engine.periods import PERIODS
from bot.labels import PERIOD_TITLES

from . import render
from .reply import Reply
from .runs import PLATFORM, player_ref, workspace_of

if TYPE_CHECKING:
    from .client import LrquizBot

PERIOD_CHOICES = [Choice(name=PERIOD_TITLES[p], value=p) for p in PERIODS]
FORMAT_CHOICES = [
    Choice(name="daily challenge card", value="card"),
    Choice(name="live question", value="live"),
]
ON_OFF = [Choice(name="on", value="on"), Choice(name="off", value="off")]
AUTOCOMPLETE_MAX = 25


def _bot(interaction: discord.Interaction) -> LrquizBot:
    return cast("LrquizBot", interaction.client)


async def _streak(interaction: discord.Interaction, player: int) -> int | None:
    """The daily streak in this server (none in direct messages, which have no dailies)."""
    if interaction.guild_id is None:
        return None
    return await _bot(interaction).dailies.streak(player, workspace_of(interaction))


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


async def timezone_choices(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    """IANA names containing what was typed (Discord shows at most 25)."""
    typed = current.strip().lower().replace(" ", "_")
    names = [n for n in _zones() if typed in n.lower()]
    names.sort(key=lambda n: (not n.lower().startswith(typed), n))
    return [Choice(name=n, value=n) for n in names[:AUTOCOMPLETE_MAX]]


async def pack_choices(interaction: discord.Interaction, current: str) -> list[Choice[str]]:
    packs = _bot(interaction).service.packs.values()
    typed = current.strip().lower()
    return [
        Choice(name=f"{p.id} — {p.title}"[:100], value=p.id)
        for p in packs
        if typed in p.id.lower() or typed in p.title.lower()
    ][:AUTOCOMPLETE_MAX]


def player_group() -> app_commands.Group:
    group = app_commands.Group(
        name="lrquiz", description="Timed PyTorch quizzes on learning-rate differentials"
    )

    @group.command(name="challenge", description="5 timed problems, 2 attempts each, hints")
    async def challenge(interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.start(interaction, "challenge")

    @group.command(name="test", description="10 questions, easy to hard, 1 attempt, no hints")
    async def test(interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.start(interaction, "test")

    @group.command(name="practice", description="5 untimed problems with full solutions")
    async def practice(interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.start(interaction, "practice")

    @group.command(name="learn", description="The concept first, then practice")
    async def learn(interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.start(interaction, "learn")

    @group.command(name="leaderboard", description="Points and accuracy in this server")
    @app_commands.describe(period="today, this week, this month or all time (default)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def leaderboard(interaction: discord.Interaction, period: str = "all") -> None:
        service = _bot(interaction).service
        async with Reply(interaction, ephemeral=False) as reply:
            if period not in PERIODS:
                await reply.say(f"⚠️ period {period!r} is not one of: {', '.join(PERIODS)}")
                return
            me = await service.player_id(player_ref(interaction))
            board = await service.leaderboard(PLATFORM, workspace_of(interaction), period, me)
            await reply.show(render.Screen(embeds=[render.leaderboard(board, me)]))

    @group.command(name="stats", description="Accuracy by kind and difficulty, points, badges")
    @app_commands.describe(member="whose record to show (default: yours)")
    async def stats(interaction: discord.Interaction, member: discord.User | None = None) -> None:
        service = _bot(interaction).service
        async with Reply(interaction) as reply:
            if member is None or member.id == interaction.user.id:
                player: int | None = await service.player_id(player_ref(interaction))
            else:
                player = await service.find_player(
                    PLATFORM, workspace_of(interaction), str(member.id)
                )
            if player is None:
                await reply.say(
                    f"{member.display_name if member else 'You'} hasn't played here yet."
                )
                return
            streak = await _streak(interaction, player)
            embed = render.stats(await service.stats(player), streak)
            await reply.show(render.Screen(embeds=[embed]))

    @group.command(name="badges", description="Badges you have earned and those left to earn")
    async def badges(interaction: discord.Interaction) -> None:
        service = _bot(interaction).service
        async with Reply(interaction) as reply:
            player = await service.player_id(player_ref(interaction))
            earned = [
                (badge, n)
                for badge_id, n in await service.badges(player)
                if (badge := service.badge(badge_id)) is not None
            ]
            available = list(
                {b.id: b for p in service.packs.values() for b in badges_of(p)}.values()
            )
            streak = await _streak(interaction, player)
            await reply.show(render.Screen(embeds=[render.badges(earned, available, streak)]))

    @group.command(name="help", description="How to play")
    async def help_(interaction: discord.Interaction) -> None:
        async with Reply(interaction) as reply:
            await reply.show(render.Screen(embeds=[render.help_embed()]))

    return group


class PostableChannel(app_commands.Transformer):
    """A text or announcement channel, taken as Discord resolved it (no channel cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: object, /) -> object:
        return value


ChannelOption = app_commands.Transform[app_commands.AppCommandChannel, PostableChannel]


def admin_group() -> app_commands.Group:
    group = app_commands.Group(
        name="lrquiz-admin",
        description="Server managers: live questions, daily challenge schedules, announcements",
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    @group.command(name="post", description="Post a live question everyone can answer, now")
    @app_commands.describe(
        channel="where to post (default: this channel)",
        problem="a problem id from the pack (default: a random one)",
    )
    async def post(
        interaction: discord.Interaction,
        channel: ChannelOption | None = None,
        problem: str | None = None,
    ) -> None:
        await _bot(interaction).lives.post(interaction, channel.id if channel else None, problem)

    @group.command(name="post-daily", description="Post today's daily challenge card now")
    @app_commands.describe(
        channel="where to post (default: this channel)",
        timezone="IANA time zone of the day (default: the first schedule's, else UTC)",
        pack="problem pack (default: the first loaded pack)",
    )
    @app_commands.autocomplete(timezone=timezone_choices, pack=pack_choices)
    async def post_daily(
        interaction: discord.Interaction,
        channel: ChannelOption | None = None,
        timezone: str | None = None,
        pack: str | None = None,
    ) -> None:
        await _bot(interaction).admin.post_daily(
            interaction, channel.id if channel else None, timezone, pack
        )

    @group.command(name="announce", description="Announce badge awards in a channel, or stop")
    @app_commands.describe(
        state="on or off",
        channel="where to announce (default: where the badge was earned)",
    )
    @app_commands.choices(state=ON_OFF)
    async def announce(
        interaction: discord.Interaction, state: str, channel: ChannelOption | None = None
    ) -> None:
        await _bot(interaction).admin.announce(interaction, state, channel.id if channel else None)

    group.add_command(schedule_group())
    return group


def schedule_group() -> app_commands.Group:
    schedule = app_commands.Group(
        name="schedule", description="Post daily challenge cards or live questions on a schedule"
    )

    @schedule.command(name="add", description="Post at a time of day, on some weekdays")
    @app_commands.describe(
        time="time of day, HH:MM on a 24-hour clock",
        timezone="IANA time zone, e.g. Europe/Berlin or UTC",
        channel="where to post (default: this channel)",
        weekdays="daily (default), weekdays, weekends, or days like mon,wed,fri or mon-fri",
        pack="problem pack (default: the first loaded pack)",
        format="a daily challenge card (default) or a live question",
    )
    @app_commands.choices(format=FORMAT_CHOICES)
    @app_commands.autocomplete(timezone=timezone_choices, pack=pack_choices)
    async def add(
        interaction: discord.Interaction,
        time: str,
        timezone: str,
        channel: ChannelOption | None = None,
        weekdays: str = "daily",
        pack: str | None = None,
        format: str = "card",
    ) -> None:
        await _bot(interaction).admin.schedule_add(
            interaction, time, timezone, channel.id if channel else None, weekdays, pack, format
        )

    @schedule.command(name="list", description="This server's schedules")
    async def list_(interaction: discord.Interaction) -> None:
        await _bot(interaction).admin.schedule_list(interaction)

    @schedule.command(name="remove", description="Delete a schedule")
    @app_commands.describe(id="the schedule's id, from the list")
    async def remove(interaction: discord.Interaction, id: str) -> None:
        await _bot(interaction).admin.schedule_change(interaction, "remove", id)

    @schedule.command(name="pause", description="Stop a schedule from posting until resumed")
    @app_commands.describe(id="the schedule's id, from the list")
    async def pause(interaction: discord.Interaction, id: str) -> None:
        await _bot(interaction).admin.schedule_change(interaction, "pause", id)

    @schedule.command(name="resume", description="Let a paused schedule post again")
    @app_commands.describe(id="the schedule's id, from the list")
    async def resume(interaction: discord.Interaction, id: str) -> None:
        await _bot(interaction).admin.schedule_change(interaction, "resume", id)

    return schedule


def install(tree: app_commands.CommandTree) -> None:
    tree.add_command(player_group())
    tree.add_command(admin_group())
