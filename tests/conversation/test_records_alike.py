"""The leaderboard, stats and badges say the same on Discord and on Slack: what they show is
decided once, in the conversation layout. Each platform is driven through its real dispatch
(discord.py's interaction parser, Bolt's signed requests) against its fake server, each on
its own SQLite file, and the two answers are compared line by line, apart from markup and
how each platform writes a mention."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.importorskip("slack_bolt")

from discord.http import Route

from bot.engine.clock import FakeClock
from bot.engine.review import new_card
from bot.service import GameService
from problems.loader import default_pack
from storage.reviews import put_card
from storage.users import PlayerRef
from tests.discord.fake_api import GUILD_ID, FakeDiscord
from tests.discord.support import ADMIN, ANN, BOB, EPHEMERAL, User
from tests.discord.support import Harness as DiscordHarness
from tests.slack.fake_slack import FakeSlack
from tests.slack.support import TEAM, all_text, cards, make_bot
from tests.slack.support import Harness as SlackHarness

T0 = 1_780_000_000.0  # Thursday 2026-05-28 20:26:40 UTC
MENTION = re.compile(r"<@\w+>")
SLACK_ANN = {"user": "U1", "name": "ann"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)  # one clock for both platforms: their days turn together


@pytest.fixture
async def on_discord(tmp_path: Path, clock: FakeClock) -> AsyncIterator[DiscordHarness]:
    base = Route.BASE
    api = FakeDiscord()
    await api.start()
    harness = await DiscordHarness.start(api, tmp_path / "discord.db", clock)
    yield harness
    await harness.close()
    await api.stop()
    Route.BASE = base


@pytest.fixture
async def on_slack(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SlackHarness]:
    fake = FakeSlack()
    await fake.start()
    harness = SlackHarness(
        fake, await make_bot(tmp_path / "slack.db", fake, clock, [default_pack()]), clock
    )
    yield harness
    await harness.close()
    await fake.stop()


def unmarked(text: str) -> list[str]:
    """The lines a reader sees, without bold or code marks, each mention written "@who"."""
    lines = (
        MENTION.sub("@who", line.replace("*", "").replace("`", "")) for line in text.split("\n")
    )
    return [line for line in lines if line.strip()]


async def discord_body(h: DiscordHarness, user: User, command: str) -> list[str]:
    """The embed's description (its title names the player plainly, Slack's mentions them)."""
    embed = h.callback(await h.slash(user, command)).data["embeds"][0]
    return unmarked(embed["description"])


async def slack_body(slack: SlackHarness, command: str, user: str, name: str) -> list[str]:
    """The sections under the title."""
    reply = await slack.command(command, user=user, name=name)
    _title, *body = [b["text"]["text"] for b in reply["blocks"] if b["type"] == "section"]
    return unmarked("\n".join(body))


async def answer_first(service: GameService, ref: PlayerRef, right: bool) -> None:
    """One challenge question answered, right at once or wrong on both attempts."""
    player = await service.player_id(ref)
    run = await service.start(player, "challenge", seed=7)
    problem = service.pack(run.pack_id).problem(run.problem_ids[0])
    wrong = [letter for letter in problem.choices if letter != problem.answer]
    for letter in [problem.answer] if right else wrong[:2]:
        await service.answer(run.id, player, letter)


async def forget_reviews(service: GameService, ref: PlayerRef) -> None:
    """Every review card of the player back to one FSRS has never reviewed: the one state in
    which its predicted recall is exactly 0."""
    player = await service.player_id(ref)

    def reset(conn) -> None:
        keys = conn.execute(
            "SELECT pack_id, problem_id FROM review_cards WHERE user_id = ?", (player,)
        ).fetchall()
        for pack_id, problem_id in keys:
            put_card(conn, player, pack_id, problem_id, new_card(), service.clock.now())

    await service.db.transact(reset)


def discord_ref(user: User) -> PlayerRef:
    return PlayerRef("discord", str(GUILD_ID), str(user.id), user.name)


def slack_ref(user: str, name: str) -> PlayerRef:
    return PlayerRef("slack", TEAM, user, name)


async def test_a_predicted_recall_of_0_percent_is_shown_on_both(
    on_discord: DiscordHarness, on_slack: SlackHarness
) -> None:
    await answer_first(on_discord.service, discord_ref(ANN), right=True)
    await answer_first(on_slack.service, slack_ref(**SLACK_ANN), right=True)
    for service, ref in (
        (on_discord.service, discord_ref(ANN)),
        (on_slack.service, slack_ref(**SLACK_ANN)),
    ):
        await forget_reviews(service, ref)

    on_discord_stats = await discord_body(on_discord, ANN, "stats")
    on_slack_stats = await slack_body(on_slack, "stats", **SLACK_ANN)
    assert "🔁 Reviews due: 1 of 1 card · predicted recall 0%" in on_discord_stats
    assert on_discord_stats == on_slack_stats  # and every other line alike


def streak_line(lines: list[str]) -> str:
    [line] = [line for line in lines if line.startswith("Daily streak:")]
    return line


async def test_the_streak_line_reads_the_same_on_both(
    on_discord: DiscordHarness, on_slack: SlackHarness, clock: FakeClock
) -> None:
    screens = (("stats", "stats"), ("badges", "badges"))
    for discord_command, slack_command in screens:
        before = (
            streak_line(await discord_body(on_discord, ANN, discord_command)),
            streak_line(await slack_body(on_slack, slack_command, **SLACK_ANN)),
        )
        none_yet = "Daily streak: none yet — finish today's daily challenge to start one"
        assert before == (none_yet, none_yet)

    for day in range(2):  # today's daily challenge on both platforms, two days running
        clock.set(T0 + day * 86_400)
        sent = await on_discord.admin(ADMIN, "post-daily")
        assert "📅 Posted the daily challenge" in on_discord.note(sent)
        card = [m for m in on_discord.messages_in() if "Daily challenge" in m.text][-1]
        started = await on_discord.click(ANN, card, "Start")
        assert on_discord.callback(started).data.get("flags", 0) & EPHEMERAL
        await on_discord.play(ANN, on_discord.original(started))

        assert "📅 Posted" in all_text(await on_slack.admin("post daily"))
        run = await on_slack.press(cards(on_slack.fake)[-1], "lrquiz_daily_start", **SLACK_ANN)
        await on_slack.play(run, **SLACK_ANN)

    for discord_command, slack_command in screens:
        after = (
            streak_line(await discord_body(on_discord, ANN, discord_command)),
            streak_line(await slack_body(on_slack, slack_command, **SLACK_ANN)),
        )
        assert after == ("Daily streak: 🔥 2 days in a row",) * 2


async def test_the_leaderboard_shows_your_own_row_and_no_points_alike(
    on_discord: DiscordHarness, on_slack: SlackHarness
) -> None:
    for n in range(10):  # ten players right on one question each, ahead of Ann
        await answer_first(
            on_discord.service, PlayerRef("discord", str(GUILD_ID), str(n), f"P{n}"), True
        )
        await answer_first(on_slack.service, slack_ref(f"U{100 + n}", f"p{n}"), True)
    await answer_first(on_discord.service, discord_ref(ANN), right=False)
    await answer_first(on_slack.service, slack_ref(**SLACK_ANN), right=False)

    on_discord_board = await discord_body(on_discord, ANN, "leaderboard")
    on_slack_board = await slack_body(on_slack, "leaderboard", **SLACK_ANN)
    assert len(on_discord_board) == 12  # the top ten, "…", and Ann's own row
    assert on_discord_board[-2:] == ["…", "11. @who — 0 pts · 0/1 correct (0%)"]
    assert on_discord_board[0].startswith("🥇 @who — ")
    assert on_discord_board == on_slack_board

    # Bob on Discord and zed on Slack have not played: one line says so, naming them.
    stranger_on_discord = await discord_body(on_discord, BOB, "leaderboard")
    stranger_on_slack = await slack_body(on_slack, "leaderboard", user="U9", name="zed")
    assert stranger_on_discord[-1] == "@who has no points in this period yet."
    assert stranger_on_discord == stranger_on_slack
