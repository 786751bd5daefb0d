"""Live questions: posted publicly by an admin, answered by everyone, closed at the deadline.

Answers and hints get ephemeral feedback; the public message is only edited once, when the
watcher closes the question, to show the answer, the tally per letter and who was first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.engine.live import LiveState, live_results
from bot.real_output import fetch_real_output
from storage.refs import MessageRef

from . import render
from .reply import Reply
from .runs import PLATFORM, player_ref, workspace_of

if TYPE_CHECKING:
    from .client import LrquizBot

log = logging.getLogger(__name__)

DENIED = "🔒 Only members with the **Manage Server** permission can use `/lrquiz-admin`."
NO_GUILD = "Admin commands work in a server, not in direct messages."


def cannot_post(channel_id: int | str) -> str:
    return (
        f"⚠️ I can't post in <#{channel_id}>: I need **View Channel**, "
        "**Send Messages** and **Embed Links** there."
    )


def may_manage(interaction: discord.Interaction) -> bool:
    """Runtime check behind `default_permissions`, which a server can override per channel."""
    return interaction.guild_id is not None and interaction.permissions.manage_guild


class LiveFlow:
    def __init__(self, bot: LrquizBot) -> None:
        self.bot = bot
        self.service = bot.service

    async def post(
        self,
        interaction: discord.Interaction,
        channel_id: int | None = None,
        problem_id: str | None = None,
    ) -> None:
        async with Reply(interaction) as reply:
            if interaction.guild_id is None:
                await reply.say(NO_GUILD)
                return
            if not may_manage(interaction):
                await reply.say(DENIED)
                return
            await reply.defer()  # posting takes a database write and a channel message
            target = channel_id or interaction.channel_id
            assert target is not None
            poster = await self.service.player_id(player_ref(interaction))
            try:
                state = await self.publish(
                    workspace_of(interaction),
                    target,
                    poster,
                    problem_id=problem_id,
                    mention=interaction.user.mention,
                )
            except ValueError as error:  # an unknown problem id
                await reply.say(f"⚠️ {error}")
                return
            except discord.Forbidden:
                await reply.say(cannot_post(target))
                return
            await reply.say(
                f"📣 Posted a live question in <#{target}>; it closes "
                f"{render.stamp(state.deadline)}."
            )

    async def publish(
        self,
        workspace: str,
        channel_id: int,
        poster: int | None = None,
        pack_id: str | None = None,
        problem_id: str | None = None,
        mention: str | None = None,
    ) -> LiveState:
        """Open a live question and post it (also for schedules); raises discord.Forbidden."""
        state = await self.service.post_live(PLATFORM, workspace, poster, pack_id, problem_id)
        pack = self.service.pack(state.pack_id)
        screen = render.live_question(state, pack, mention)
        message = await self.bot.get_partial_messageable(channel_id).send(**screen.send_kwargs())
        await self.service.remember_message(
            PLATFORM, "live", state.id, MessageRef(str(channel_id), str(message.id))
        )
        self.bot.watcher.poke()
        return state

    async def answer(self, interaction: discord.Interaction, live_id: str, letter: str) -> None:
        async with Reply(interaction) as reply:
            player = await self.service.player_id(player_ref(interaction))
            state, answer = await self.service.answer_live(live_id, player, letter)
            await reply.say(render.locked_in(answer.letter, state.deadline))

    async def hint(self, interaction: discord.Interaction, live_id: str) -> None:
        async with Reply(interaction) as reply:
            player = await self.service.player_id(player_ref(interaction))
            _, text = await self.service.hint_live(live_id, player)
            await reply.say(render.hint(text))

    async def closed_by_deadline(self, state: LiveState) -> None:
        """Edit the public message: the answer, the tally and who answered right first."""
        ref = await self.service.message_ref(PLATFORM, "live", state.id)
        if ref is None:
            return  # posted by another front end, or the post itself failed
        pack = self.service.pack(state.pack_id)
        results = live_results(state, pack)
        first = None
        if results.first_right is not None:
            who = await self.service.player(results.first_right)
            if who is not None:
                first = f"<@{who.external_id}>" if who.platform == PLATFORM else who.display_name
        real = await fetch_real_output(self.bot.runner, pack.problem(state.problem_id))
        screen = render.live_closed(state, pack, results, first, real)
        channel = self.bot.get_partial_messageable(int(ref.channel_id))
        await channel.get_partial_message(int(ref.message_id)).edit(**screen.edit_kwargs())
