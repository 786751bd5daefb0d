"""The bot's buttons, as DynamicItems rebuilt from their custom ids on every click.

Nothing here is kept in memory between clicks: a click after a restart parses the id and
hands the interaction to the bot's run or live flow, which reloads the state from SQLite.
`from_custom_id` only parses (discord.py drops the click silently if it raises).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from . import ids

if TYPE_CHECKING:
    from .client import LrquizBot

Button = discord.ui.Button[Any]


def _bot(interaction: discord.Interaction) -> LrquizBot:
    return cast("LrquizBot", interaction.client)


class RunAnswer(discord.ui.DynamicItem[Button], template=ids.RUN_ANSWER):
    """A letter on a personal run's question; the index makes clicks on old questions stale."""

    def __init__(self, session_id: str, index: int, letter: str, tried: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=letter,
                style=discord.ButtonStyle.danger if tried else discord.ButtonStyle.primary,
                disabled=tried,
                custom_id=ids.run_answer(session_id, index, letter),
            )
        )
        self.session_id = session_id
        self.index = index
        self.letter = letter

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> RunAnswer:
        return cls(match["session"], int(match["index"]), match["letter"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.answer(interaction, self.session_id, self.index, self.letter)


class RunHint(discord.ui.DynamicItem[Button], template=ids.RUN_HINT):
    def __init__(self, session_id: str, index: int, used: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="Hint",
                emoji="💡",
                style=discord.ButtonStyle.secondary,
                disabled=used,
                custom_id=ids.run_hint(session_id, index),
            )
        )
        self.session_id = session_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> RunHint:
        return cls(match["session"], int(match["index"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.hint(interaction, self.session_id, self.index)


class RunNext(discord.ui.DynamicItem[Button], template=ids.RUN_NEXT):
    """Opens the next question; its clock starts on this click, not at the reveal."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Next ▶",
                style=discord.ButtonStyle.success,
                custom_id=ids.run_next(session_id),
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> RunNext:
        return cls(match["session"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.next(interaction, self.session_id)


class RunQuit(discord.ui.DynamicItem[Button], template=ids.RUN_QUIT):
    """Ends the run now; an open question counts as skipped."""

    def __init__(self, session_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Quit",
                style=discord.ButtonStyle.secondary,
                custom_id=ids.run_quit(session_id),
            )
        )
        self.session_id = session_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> RunQuit:
        return cls(match["session"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).runs.quit(interaction, self.session_id)


class LiveAnswer(discord.ui.DynamicItem[Button], template=ids.LIVE_ANSWER):
    def __init__(self, live_id: str, letter: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=letter,
                style=discord.ButtonStyle.primary,
                custom_id=ids.live_answer(live_id, letter),
            )
        )
        self.live_id = live_id
        self.letter = letter

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> LiveAnswer:
        return cls(match["live"], match["letter"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).lives.answer(interaction, self.live_id, self.letter)


class LiveHint(discord.ui.DynamicItem[Button], template=ids.LIVE_HINT):
    def __init__(self, live_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Hint",
                emoji="💡",
                style=discord.ButtonStyle.secondary,
                custom_id=ids.live_hint(live_id),
            )
        )
        self.live_id = live_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> LiveHint:
        return cls(match["live"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).lives.hint(interaction, self.live_id)


class DailyStart(discord.ui.DynamicItem[Button], template=ids.DAILY_START):
    """On the public daily card: opens (or resumes) the clicker's own timed run of the day."""

    def __init__(self, daily_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Start",
                emoji="▶️",
                style=discord.ButtonStyle.success,
                custom_id=ids.daily_start(daily_id),
            )
        )
        self.daily_id = daily_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> DailyStart:
        return cls(match["daily"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).dailies.start(interaction, self.daily_id)


class DailyBoard(discord.ui.DynamicItem[Button], template=ids.DAILY_BOARD):
    """On the public daily card: today's leaderboard, for the clicker only."""

    def __init__(self, daily_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Leaderboard",
                emoji="🏆",
                style=discord.ButtonStyle.secondary,
                custom_id=ids.daily_board(daily_id),
            )
        )
        self.daily_id = daily_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: Button, match: re.Match[str], /
    ) -> DailyBoard:
        return cls(match["daily"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await _bot(interaction).dailies.leaderboard(interaction, self.daily_id)


ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    RunAnswer,
    RunHint,
    RunNext,
    RunQuit,
    LiveAnswer,
    LiveHint,
    DailyStart,
    DailyBoard,
)


async def rebuild(
    interaction: discord.Interaction, custom_id: str
) -> discord.ui.DynamicItem[Any] | None:
    """The button a custom id stands for, for clicks discord.py will not dispatch itself."""
    for cls in ITEMS:
        match = cls.__discord_ui_compiled_template__.fullmatch(custom_id)
        if match is not None:
            return await cls.from_custom_id(interaction, None, match)  # type: ignore[arg-type]
    return None
