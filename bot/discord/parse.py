"""What Discord delivers, as actions: the slash commands and the buttons, each in an Envelope.

The commands are declared here with their options (also what `lrquiz discord sync`
uploads); discord.py parses a delivered command's options and each command's callback
names its action. Buttons are read from their custom ids (`ids.read`). Nothing here
decides anything: the conversation does, once the envelope is handed to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.app_commands import Choice

from bot.conversation import actions as a
from bot.conversation.announce import DIRECT_WORKSPACE
from bot.engine.periods import PERIODS
from bot.labels import PERIOD_TITLES
from storage.refs import MessageRef

from . import ids

PLATFORM = "discord"
PERIOD_CHOICES = [Choice(name=PERIOD_TITLES[p], value=p) for p in PERIODS]
FORMAT_CHOICES = [
    Choice(name="daily challenge card", value="card"),
    Choice(name="live question", value="live"),
]
ON_OFF = [Choice(name="on", value="on"), Choice(name="off", value="off")]
AUTOCOMPLETE_MAX = 25


def actor(interaction: discord.Interaction) -> a.Actor:
    """Players are scoped per server; direct messages share one "dm" workspace."""
    user = interaction.user
    direct = interaction.guild_id is None
    return a.Actor(
        PLATFORM,
        DIRECT_WORKSPACE if direct else str(interaction.guild_id),
        str(user.id),
        user.display_name,
        channel=str(interaction.channel_id or ""),
        is_admin=not direct and interaction.permissions.manage_guild,
        direct=direct,
    )


def envelope(interaction: discord.Interaction, action: a.Action, now: float) -> a.Envelope:
    """The interaction id is unique per delivery; its token edits the answer for 15 minutes."""
    reply = MessageRef(
        str(interaction.channel_id or ""),
        "@original",
        {"token": interaction.token, "application_id": str(interaction.application_id), "at": now},
    )
    return a.Envelope(actor(interaction), action, str(interaction.id), reply)


def button(interaction: discord.Interaction) -> a.Action | None:
    """A click's action, or None for a button this bot cannot read (an old layout)."""
    custom_id = (interaction.data or {}).get("custom_id")
    return ids.read(custom_id) if isinstance(custom_id, str) else None


def modal_submit(interaction: discord.Interaction) -> a.Action | None:
    """A submitted Edit & run modal as a RunSnippet, or None for a modal we never made."""
    data: Any = interaction.data or {}
    custom_id = data.get("custom_id")
    code = _input_value(data.get("components") or [], ids.CODE_INPUT)
    if not isinstance(custom_id, str) or code is None:
        return None
    return ids.read_modal(custom_id, code)


def _input_value(components: list[Any], custom_id: str) -> str | None:
    """A text input's value, in an action row (type 1) or a label (type 18)."""
    for component in components:
        if not isinstance(component, dict):
            continue
        if component.get("custom_id") == custom_id and isinstance(component.get("value"), str):
            return component["value"]
        inner = [*(component.get("components") or []), component.get("component")]
        found = _input_value([c for c in inner if c], custom_id)
        if found is not None:
            return found
    return None


async def _deliver(interaction: discord.Interaction, action: a.Action) -> None:
    await interaction.client.deliver(interaction, action)  # type: ignore[attr-defined]


# --- the commands ----------------------------------------------------------------------


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
    packs = interaction.client.service.packs.values()  # type: ignore[attr-defined]
    typed = current.strip().lower()
    return [
        Choice(name=f"{p.id} — {p.title}"[:100], value=p.id)
        for p in packs
        if typed in p.id.lower() or typed in p.title.lower()
    ][:AUTOCOMPLETE_MAX]


MODES = {
    "challenge": "5 timed problems, 2 attempts each, hints",
    "test": "10 questions, easy to hard, 1 attempt, no hints",
    "practice": "5 untimed problems with full solutions",
    "learn": "The concept first, then practice",
    "review": "Spaced review: your due cards first, then your weakest topic",
}


def _start(mode: str) -> Callable[[discord.Interaction], Awaitable[None]]:
    async def start(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.StartRun(mode))

    return start


def player_group() -> app_commands.Group:
    group = app_commands.Group(
        name="lrquiz", description="Timed PyTorch quizzes on learning-rate differentials"
    )

    for mode, description in MODES.items():
        group.add_command(
            app_commands.Command(name=mode, description=description, callback=_start(mode))
        )

    @group.command(name="suggest", description="Today's 3 problems picked for you, with Start")
    async def suggest(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.ShowSuggestion())

    @group.command(name="leaderboard", description="Points and accuracy in this server")
    @app_commands.describe(period="today, this week, this month or all time (default)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def leaderboard(interaction: discord.Interaction, period: str = "all") -> None:
        await _deliver(interaction, a.ShowLeaderboard(period))

    @group.command(name="stats", description="Accuracy by kind and difficulty, points, badges")
    @app_commands.describe(member="whose record to show (default: yours)")
    async def stats(interaction: discord.Interaction, member: discord.User | None = None) -> None:
        if member is None or member.id == interaction.user.id:
            await _deliver(interaction, a.ShowStats())
        else:
            await _deliver(interaction, a.ShowStats(str(member.id), member.display_name))

    @group.command(name="badges", description="Badges you have earned and those left to earn")
    async def badges(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.ShowBadges())

    @group.command(name="dashboard", description="A private link to your progress on the web")
    async def dashboard(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.ShowDashboard())

    @group.command(name="run", description="Run your own PyTorch snippet in the sandbox")
    async def run(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.OpenSnippetEditor())

    @group.command(name="help", description="How to play")
    async def help_(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.ShowHelp())

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


def _id(channel: Any | None) -> str | None:
    return str(channel.id) if channel is not None else None


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
        await _deliver(interaction, a.PostLive(_id(channel), problem))

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
        await _deliver(interaction, a.PostDaily(_id(channel), timezone, pack))

    @group.command(name="announce", description="Announce badge awards in a channel, or stop")
    @app_commands.describe(
        state="on or off", channel="where to announce (default: where the badge was earned)"
    )
    @app_commands.choices(state=ON_OFF)
    async def announce(
        interaction: discord.Interaction, state: str, channel: ChannelOption | None = None
    ) -> None:
        if state not in ("on", "off"):
            await _deliver(interaction, a.BadInput(f"⚠️ state {state!r} is not on or off"))
        else:
            await _deliver(interaction, a.SetAnnounce(state == "on", _id(channel)))

    @group.command(name="snippets", description="Edit & run (members running code) on or off")
    @app_commands.describe(state="on or off (leave out to see the current state)")
    @app_commands.choices(state=ON_OFF)
    async def snippets(interaction: discord.Interaction, state: str | None = None) -> None:
        if state not in (None, "on", "off"):
            await _deliver(interaction, a.BadInput(f"⚠️ state {state!r} is not on or off"))
        else:
            await _deliver(interaction, a.SetSnippets(None if state is None else state == "on"))

    group.add_command(schedule_group())
    return group


CHANGES = {
    "remove": "Delete a schedule",
    "pause": "Stop a schedule from posting until resumed",
    "resume": "Let a paused schedule post again",
}


def _change(verb: str) -> Callable[[discord.Interaction, str], Awaitable[None]]:
    async def change(interaction: discord.Interaction, id: str) -> None:
        await _deliver(interaction, a.ChangeSchedule(verb, id))

    return change


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
        action = a.AddSchedule(time, timezone, _id(channel), weekdays, pack, format)
        await _deliver(interaction, action)

    @schedule.command(name="list", description="This server's schedules")
    async def list_(interaction: discord.Interaction) -> None:
        await _deliver(interaction, a.ListSchedules())

    for verb, description in CHANGES.items():
        change = app_commands.Command(name=verb, description=description, callback=_change(verb))
        schedule.add_command(app_commands.describe(id="the schedule's id, from the list")(change))

    return schedule


def install(tree: app_commands.CommandTree) -> None:
    tree.add_command(player_group())
    tree.add_command(admin_group())
