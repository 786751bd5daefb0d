"""The Discord client: wiring of commands, buttons, the deadline watcher and the scheduler.

No privileged intents: everything arrives as interactions. On start-up (`setup_hook`, after
login and before the gateway connects) the bot registers its DynamicItem buttons and sweeps
deadlines that passed while it was down (questions, and daily cards whose day ended), then
keeps a watcher closing them on time and a scheduler posting scheduled cards and questions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from bot.deadlines import DeadlineWatcher
from bot.real_output import Runner
from bot.scheduler import DEFAULT_GRACE_S, Scheduler
from bot.service import GameService
from storage.refs import MessageRef

from . import commands, components
from .admin import AdminFlow
from .daily import DailyFlow
from .live import LiveFlow
from .render import Screen
from .runs import PLATFORM, RunFlow

log = logging.getLogger(__name__)

# A button no handler answered (e.g. from a message we can no longer parse) gets this
# after NET_S, before Discord's 3 s window closes.
NET_S = 2.6
UNKNOWN_BUTTON = "This button is no longer active. Start again with `/lrquiz help`."
COMMAND_FAILED = "⚠️ That command could not run. If it keeps happening, tell a server admin."
OUT_OF_SYNC = (
    "This command has changed since it was registered; "
    "a server admin needs to run `lrquiz discord sync`."
)


class LrquizTree(app_commands.CommandTree):
    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        """Errors discord.py raises before our handler runs (bad options, stale commands)."""
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


class LrquizBot(discord.Client):
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
        intents.guilds = True  # channel names for mentions; not privileged
        super().__init__(intents=intents, **options)
        self.service = service
        self.runner = runner
        self.watch_deadlines = watch_deadlines
        self.tree = LrquizTree(self)
        commands.install(self.tree)
        self.runs = RunFlow(self)
        self.lives = LiveFlow(self)
        self.dailies = DailyFlow(self)
        self.admin = AdminFlow(self)
        self.watcher = DeadlineWatcher(
            service,
            self.runs.closed_by_deadline,
            self.lives.closed_by_deadline,
            platform=PLATFORM,
            on_daily_closed=self.dailies.closed_by_day_end,
        )
        self.scheduler = Scheduler(service, PLATFORM, self.dailies.fire, grace_s=schedule_grace_s)
        self.in_flight = 0
        self._background: set[asyncio.Task[Any]] = set()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(*components.ITEMS)
        # Deadlines that passed while the bot was down close before any click is handled.
        closed = await self.watcher.sweep()
        if closed:
            log.info("closed %d question(s) whose deadline passed while the bot was down", closed)
        if self.watch_deadlines:  # tests drive sweep() and tick() themselves
            self._spawn(self.watcher.run_forever())
            # Its first tick posts what fell due while the bot was down (within the grace).
            self._spawn(self.scheduler.run_forever())

    async def on_ready(self) -> None:
        log.info(
            "logged in as %s (%s) in %d server(s)", self.user, self.application_id, len(self.guilds)
        )

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Clicks discord.py drops: answer them ourselves, or at least explain."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if not _shows(interaction.message, custom_id):
            # discord.py dispatches only buttons the message still shows; a client that
            # lags behind an edit (say, a closed live question) can still click an old one.
            item = await components.rebuild(interaction, custom_id)
            if item is not None:
                self._spawn(item.callback(interaction))
                return
        self._spawn(self._net(interaction))

    async def _net(self, interaction: discord.Interaction) -> None:
        await asyncio.sleep(NET_S)
        if not interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(UNKNOWN_BUTTON, ephemeral=True)

    async def edit_original(self, ref: MessageRef, screen: Screen) -> None:
        """Edit an interaction's message by its stored token (e.g. after a restart)."""
        webhook = discord.Webhook.partial(
            int(ref.data["application_id"]), str(ref.data["token"]), client=self
        )
        await webhook.edit_message(ref.message_id, **screen.edit_kwargs())  # type: ignore[arg-type]

    async def close(self) -> None:
        """Stop the watcher and let handlers in flight finish before the database closes."""
        for task in list(self._background):
            task.cancel()
        for _ in range(100):
            if self.in_flight <= 0:
                break
            await asyncio.sleep(0.05)
        await super().close()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _shows(message: discord.Message | None, custom_id: str) -> bool:
    if message is None:
        return False
    for row in message.components:
        for item in getattr(row, "children", [row]):
            if getattr(item, "custom_id", None) == custom_id:
                return True
    return False
