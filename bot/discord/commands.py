"""The slash commands: `/lrquiz …` for everyone and `/lrquiz-admin …` for server managers.

The groups do not hold a reference to a running bot (handlers reach it through
`interaction.client`), so `lrquiz discord sync` can build and upload them without opening
the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

import discord
from discord import app_commands

from . import render
from .reply import Reply
from .runs import PLATFORM, player_ref, workspace_of

if TYPE_CHECKING:
    from .client import LrquizBot

Period = Literal["day", "week", "month", "all"]


def _bot(interaction: discord.Interaction) -> LrquizBot:
    return cast("LrquizBot", interaction.client)


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
    @app_commands.describe(period="day, week, month or all time (default)")
    async def leaderboard(interaction: discord.Interaction, period: Period = "all") -> None:
        service = _bot(interaction).service
        async with Reply(interaction, ephemeral=False) as reply:
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
            await reply.show(render.Screen(embeds=[render.stats(await service.stats(player))]))

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
            available = [b for pack in service.packs.values() for b in pack.badges]
            await reply.show(render.Screen(embeds=[render.badges(earned, available)]))

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
        description="Server managers: live questions",
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

    return group


def install(tree: app_commands.CommandTree) -> None:
    tree.add_command(player_group())
    tree.add_command(admin_group())
