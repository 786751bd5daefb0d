"""The Discord client: wiring only. Interactions in, the conversation decides, screens out.

No privileged intents: everything arrives as interactions. Slash commands come through
discord.py's command tree (parse.py declares them), button clicks straight from the
gateway event (their custom ids say everything). Each one is accepted by the conversation,
which records or applies it in SQLite, before Discord is answered; a watchdog defers if
that takes long. The conversation also owns the deadline watcher and the scheduler, started
in `setup_hook` (after login, before the gateway connects) and stopped in `close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

from bot.conversation import actions as a
from bot.conversation.core import TROUBLE, Conversation
from bot.conversation.screens import Notice, rich
from bot.real_output import Runner
from bot.scheduler import DEFAULT_GRACE_S
from bot.service import GameService
from storage.refs import MessageRef

from . import parse
from .deliver import DiscordPlatform, InteractionReplier, TokenReplier

log = logging.getLogger(__name__)

COMMAND_FAILED = "⚠️ That command could not run. If it keeps happening, tell a server admin."
OUT_OF_SYNC = (
    "This command has changed since it was registered; "
    "a server admin needs to run `lrquiz discord sync`."
)
# How long shutdown waits for handlers in flight to answer and commit.
DRAIN_S = 10.0


class LrquizTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Errors discord.py raises before a command's action exists (stale commands)."""
        if isinstance(error, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
            text = OUT_OF_SYNC
            log.warning("command out of sync: %s", error)
        else:
            text = COMMAND_FAILED
            log.error("command failed", exc_info=error)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)


class LrquizBot(discord.AutoShardedClient):
    """The bot; sharded so a big community can split its servers over processes
    (bot/discord/shards.py). With one shard it behaves as a plain client."""

    def __init__(
        self,
        service: GameService,
        runner: Runner | None = None,
        *,
        watch_deadlines: bool = True,
        schedule_grace_s: float = DEFAULT_GRACE_S,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # not privileged
        super().__init__(intents=intents, **options)
        self.service = service
        self.watch_deadlines = watch_deadlines
        self.tree = LrquizTree(self)
        parse.install(self.tree)
        self.platform = DiscordPlatform(self, service.clock)
        self.conversation = Conversation(service, self.platform, runner, grace_s=schedule_grace_s)
        self.in_flight = 0
        self._handlers: set[asyncio.Task[None]] = set()
        parsers = self._connection.parsers
        self._parse_interaction: Callable[[Any], None] = parsers["INTERACTION_CREATE"]
        parsers["INTERACTION_CREATE"] = self._on_interaction_create

    async def setup_hook(self) -> None:
        # Deadlines that passed while the bot was down close before any click is handled,
        # and admin commands a crash interrupted are finished.
        def replier_for(ref: MessageRef | None) -> TokenReplier:
            return TokenReplier(self.platform, ref)

        if self.watch_deadlines:
            closed = await self.conversation.start(replier_for)
        else:  # tests drive sweep() and tick() themselves
            closed = await self.conversation.watcher.sweep()
            await self.conversation.recover(replier_for)
        if closed:
            log.info("closed %d question(s) whose deadline passed while the bot was down", closed)

    async def on_ready(self) -> None:
        log.info(
            "logged in as %s (%s) in %d server(s)", self.user, self.application_id, len(self.guilds)
        )

    def gateway_status(self) -> dict[str, Any]:
        """For /health: connected to the gateway, and its heartbeat round trip."""
        connected = self.is_ready() and not self.is_closed()
        latency = self.latency
        ms = round(latency * 1000, 1) if connected and latency == latency else None  # NaN
        shards = sorted(self.shards) if connected else list(self.shard_ids or [])
        return {
            "gateway": {
                "connected": connected,
                "latency_ms": ms,
                "shards": shards,
                "shard_count": self.shard_count,
            }
        }

    def _on_interaction_create(self, data: Any) -> None:
        """The gateway's INTERACTION_CREATE, guarded: a payload of a shape discord.py cannot
        parse is logged and skipped, and the bot stays connected."""
        try:
            if data.get("type") == discord.InteractionType.component.value:
                interaction = discord.Interaction(data=data, state=self._connection)
                self._spawn(self.deliver(interaction, parse.button(interaction)))
            elif data.get("type") == discord.InteractionType.modal_submit.value:
                if not isinstance(data["data"], dict):  # KeyError without it: skipped below
                    raise TypeError("a modal submission's data is not an object")
                interaction = discord.Interaction(data=data, state=self._connection)
                self._spawn(self.deliver(interaction, parse.modal_submit(interaction)))
            else:  # slash commands and their autocomplete: the command tree
                self._parse_interaction(data)
        except Exception as error:
            log.warning(
                "skipped an interaction of an unexpected shape (%s: %s)",
                type(error).__name__,
                error,
            )
            log.debug("the skipped interaction: %.2000r", data, exc_info=True)

    async def deliver(self, interaction: discord.Interaction, action: a.Action | None) -> None:
        """One interaction: accepted (committed) before Discord is told, then answered."""
        self.in_flight += 1
        command = interaction.type is discord.InteractionType.application_command
        replier = InteractionReplier(
            interaction,
            public=command and isinstance(action, a.ShowLeaderboard),  # as it always was
            edits_clicked=isinstance(action, a.Answer | a.Hint | a.Next | a.Quit),
        )
        replier.watch()
        try:
            if action is None:
                await self.conversation.unknown(replier)
                return
            now = self.service.clock.now()
            accepted = await self.conversation.accept(parse.envelope(interaction, action, now))
            await accepted.finish(replier)
        except Exception:  # the conversation explains its own failures; this is a bug here
            log.exception("handling %s failed", replier)
            await replier.show(Notice(rich(TROUBLE), "error"))
        finally:
            replier.stop_watching()
            self.in_flight -= 1

    async def close(self) -> None:
        """Stop the background loops and let handlers in flight finish, then disconnect."""
        await self.conversation.stop()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DRAIN_S
        while self.in_flight > 0 and loop.time() < deadline:
            await asyncio.sleep(0.02)
        await super().close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)
