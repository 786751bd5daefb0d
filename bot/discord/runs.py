"""Personal runs (challenge, test, practice, learn): clicks in, engine commands, screens out.

A run lives in one ephemeral message that is edited in place. The deciding is all done by
the service; this module only picks which view to render for the state it gets back. The
latest interaction token of each run is stored so the deadline watcher can reveal the
answer in that message when nobody clicks (tokens are valid for 15 minutes).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.engine.errors import NothingToAdvance, QuestionClosed, SessionFinished
from bot.engine.state import SessionState
from bot.engine.views import question_view, reveal_view, summary_view
from bot.real_output import fetch_real_output, shows_real_output
from storage.refs import MessageRef
from storage.users import PlayerRef

from . import render
from .reply import Reply

if TYPE_CHECKING:
    from .client import LrquizBot

log = logging.getLogger(__name__)

PLATFORM = "discord"
# Interaction tokens expire after 15 minutes; leave a margin for the edit itself.
TOKEN_TTL_S = 14 * 60


def workspace_of(interaction: discord.Interaction) -> str:
    """Players are scoped per guild; DMs share one "dm" workspace."""
    return str(interaction.guild_id) if interaction.guild_id else "dm"


def player_ref(interaction: discord.Interaction) -> PlayerRef:
    user = interaction.user
    return PlayerRef(PLATFORM, workspace_of(interaction), str(user.id), user.display_name)


class RunFlow:
    def __init__(self, bot: LrquizBot) -> None:
        self.bot = bot
        self.service = bot.service

    async def start(self, interaction: discord.Interaction, mode: str) -> None:
        async with Reply(interaction) as reply:
            player = await self.service.player_id(player_ref(interaction))
            session = await self.service.start(player, mode)
            screen = await self.screen(session, reply)
            if session.mode == "learn":
                screen.embeds.insert(0, render.learn_intro(self.service.pack(session.pack_id)))
            await reply.show(screen)
            await self.remember(interaction, reply, session.id)

    async def answer(
        self, interaction: discord.Interaction, session_id: str, index: int, letter: str
    ) -> None:
        async with Reply(interaction, update=True) as reply:
            player = await self.service.player_id(player_ref(interaction))
            note = None
            earned: tuple[str, ...] = ()
            try:
                session, result = await self.service.answer(session_id, player, letter, index)
                if not result.closed:
                    note = render.wrong_note(result.letter, result.attempts_left)
                if result.finished:
                    earned = result.new_badges
            except QuestionClosed as closed:
                # Time ran out (now stored as expired) or it closed meanwhile: show where
                # the run really is. A click from an earlier question is only explained.
                if closed.reason == "stale":
                    raise
                session = await self.service.session(session_id)
                earned = session.badges if session.is_finished else ()
            await self._show(interaction, reply, session, note)
            await self.announce(
                workspace_of(interaction),
                str(interaction.channel_id or ""),
                player_ref(interaction),
                earned,
            )

    async def hint(self, interaction: discord.Interaction, session_id: str, index: int) -> None:
        async with Reply(interaction, update=True) as reply:
            player = await self.service.player_id(player_ref(interaction))
            earned: tuple[str, ...] = ()
            try:
                session, _ = await self.service.hint(session_id, player, index)
            except QuestionClosed as closed:
                if closed.reason == "stale":
                    raise
                session = await self.service.session(session_id)
                earned = session.badges if session.is_finished else ()  # ended by the deadline
            await self._show(interaction, reply, session)
            await self.announce(
                workspace_of(interaction),
                str(interaction.channel_id or ""),
                player_ref(interaction),
                earned,
            )

    async def next(self, interaction: discord.Interaction, session_id: str) -> None:
        async with Reply(interaction, update=True) as reply:
            player = await self.service.player_id(player_ref(interaction))
            try:
                session = await self.service.advance(session_id, player)
            except (NothingToAdvance, SessionFinished):
                # A double click, or a message behind the run: re-render where it is.
                session = await self.service.session(session_id)
            await self._show(interaction, reply, session)

    async def quit(self, interaction: discord.Interaction, session_id: str) -> None:
        async with Reply(interaction, update=True) as reply:
            player = await self.service.player_id(player_ref(interaction))
            session = await self.service.quit(session_id, player)
            await self._show(interaction, reply, session)

    async def closed_by_deadline(self, session: SessionState) -> None:
        """The watcher closed a question nobody answered in time: reveal it in place."""
        ref = await self.service.message_ref(PLATFORM, "run", session.id)
        if session.is_finished and session.badges:  # e.g. a streak kept by a timed-out last one
            player = await self.service.player(session.player_id)
            if player is not None and player.platform == PLATFORM:
                channel = ref.channel_id if ref is not None else ""
                await self.announce(player.workspace, channel, player, session.badges)
        if ref is None:
            return  # not a Discord run (another front end shares the database)
        if self.service.clock.now() - float(ref.data.get("at", 0)) > TOKEN_TTL_S:
            log.info("run %s: interaction token expired; the next click shows the reveal", ref)
            return
        screen = await self.screen(session)
        await self.bot.edit_original(ref, screen)

    async def announce(
        self, workspace: str, channel_id: str, player: PlayerRef, badge_ids: tuple[str, ...]
    ) -> None:
        """Badges a finished run earned, in the server's channel if the server opted in."""
        if not badge_ids or workspace == "dm":
            return
        try:
            settings = await self.service.settings(PLATFORM, workspace)
            target = settings.announce_channel or channel_id
            if not settings.announce_badges or not target:
                return
            earned = [b for i in badge_ids if (b := self.service.badge(i)) is not None]
            await self.bot.get_partial_messageable(int(target)).send(
                render.badge_announcement(f"<@{player.external_id}>", earned),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except Exception:  # the player already has their result; an announcement is extra
            log.exception("announcing badges %s in %s failed", badge_ids, workspace)

    async def screen(self, session: SessionState, reply: Reply | None = None) -> render.Screen:
        """The run as it stands: the open question, or the reveal (and summary at the end)."""
        pack = self.service.pack(session.pack_id)
        question = session.current
        if question is not None and question.is_open and not session.is_finished:
            return render.question(question_view(session, pack))
        view = reveal_view(session, pack)
        real = None
        if shows_real_output(view.problem):
            if reply is not None:
                await reply.defer()  # the runner may take a while
            real = await fetch_real_output(self.bot.runner, view.problem)
        summary = summary_view(session, pack) if session.is_finished else None
        return render.reveal(view, real, summary)

    async def _show(
        self,
        interaction: discord.Interaction,
        reply: Reply,
        session: SessionState,
        note: str | None = None,
    ) -> None:
        screen = await self.screen(session, reply)
        if note is not None:
            screen.content = note
        await reply.show(screen)
        await self.remember(interaction, reply, session.id)

    async def remember(self, interaction: discord.Interaction, reply: Reply, run: str) -> None:
        """Keep this interaction's token: it can edit the run's message for 15 minutes."""
        if not reply.showed:
            return
        ref = MessageRef(
            str(interaction.channel_id or ""),
            "@original",
            {
                "token": interaction.token,
                "application_id": str(interaction.application_id),
                "at": self.service.clock.now(),
            },
        )
        await self.service.remember_message(PLATFORM, "run", run, ref)
