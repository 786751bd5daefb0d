"""Daily challenge cards: posted publicly, played privately once per member, closed with a
summary at the end of the day, fired by schedules exactly once, badges announced on opt-in."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock

from .fake_api import FakeDiscord, Message
from .support import (
    ADMIN,
    ANN,
    BOB,
    CHANNEL_ID,
    EPHEMERAL,
    OTHER_CHANNEL_ID,
    Harness,
    User,
)

# The harness clock starts on Thursday 2026-05-28 at 20:26:40 UTC.
MIDNIGHT_UTC = 1_780_012_800.0  # 2026-05-29 00:00 UTC


async def post_card(h: Harness, channel: int | None = None, **values: str) -> Message:
    sent = await h.admin(ADMIN, "post-daily", channel=channel, **values)
    assert "📅 Posted the daily challenge" in h.note(sent), h.note(sent)
    [card] = [m for m in h.messages_in(channel or CHANNEL_ID) if "Daily challenge" in m.text]
    return card


async def start(h: Harness, user: User, card: Message) -> Message:
    sent = await h.click(user, card, "Start")
    assert h.callback(sent).data.get("flags", 0) & EPHEMERAL, h.callback(sent)
    return h.original(sent)


async def test_the_card_start_runs_once_per_member_and_the_leaderboard_button(
    h: Harness, api: FakeDiscord
) -> None:
    card = await post_card(h)
    [posted] = api.channel_posts(CHANNEL_ID)
    assert not posted.body.get("flags", 0) & EPHEMERAL  # public
    text = card.text
    assert "📅 Daily challenge · 2026-05-28" in text
    assert text.count("`") >= 10 and "`5.`" in text  # the day's five problems, numbered
    assert "⏱ 2:00 per question · 2 attempts · 💡 hints (halve the points)" in text
    assert f"<t:{int(MIDNIGHT_UTC)}:R>" in text  # closes at midnight in UTC (no schedule)
    assert [b["label"] for row in card.components for b in row["components"]] == [
        "Start",
        "Leaderboard",
    ]
    daily_id = card.custom_ids()[0].split(":")[2]
    daily = await h.bot.conversation.runs.dailies.get(daily_id)

    run = await start(h, ANN, card)
    assert run.content == (
        "📅 Daily challenge 2026-05-28: your own run, only you see it. Good luck!"
    )
    assert "Question 1/5" in run.text
    assert f"closes <t:{int(h.clock.now()) + 120}:R>" in run.text
    assert "2 of 2 left" in run.text
    assert (await h.current_problem(run)).id == daily.problem_ids[0]
    h.clock.advance(10)
    await h.play(ANN, run)
    assert "Challenge finished" in run.text and "Score:** 5/5 correct" in run.text

    again = await h.click(ANN, card, "Start")
    assert h.note(again) == "You already played today's challenge. Come back tomorrow!"

    board = await h.click(BOB, card, "Leaderboard")
    embed = h.callback(board).data["embeds"][0]
    assert h.callback(board).data["flags"] & EPHEMERAL
    assert embed["title"] == "🏆 Leaderboard — today"
    assert f"🥇 <@{ANN.id}> — " in embed["description"]
    assert card.text == text  # the card itself only changes when the day ends


async def test_an_unfinished_run_resumes_from_the_card(h: Harness) -> None:
    card = await post_card(h)
    run = await start(h, BOB, card)
    problem = await h.current_problem(run)
    await h.click(BOB, run, problem.answer)
    h.clock.advance(5)
    resumed = await start(h, BOB, card)  # e.g. the ephemeral message was dismissed
    assert resumed.content == "▶ Resuming your daily challenge."
    assert "Question 1/5" in resumed.text and "✅ Correct!" in resumed.text
    await h.click(BOB, resumed, "Next ▶")
    assert "Question 2/5" in resumed.text


async def test_the_card_shows_the_days_summary_when_the_day_ends(
    h: Harness, api: FakeDiscord
) -> None:
    card = await post_card(h)
    ann = await start(h, ANN, card)
    await h.play(ANN, ann)
    bob = await start(h, BOB, card)
    await h.play(BOB, bob, right=False)
    daily = await h.bot.conversation.runs.dailies.get(card.custom_ids()[0].split(":")[2])

    h.clock.set(MIDNIGHT_UTC - 1)
    await h.bot.conversation.watcher.sweep()
    assert api.edits_of(card.id) == []
    h.clock.set(MIDNIGHT_UTC + 1)
    await h.bot.conversation.watcher.sweep()
    [edit] = api.edits_of(card.id)
    assert edit.path == f"/channels/{CHANNEL_ID}/messages/{card.id}"
    fields = {f["name"]: f["value"] for f in card.embeds[0]["fields"]}
    assert "2026-05-28 · closed" in card.embeds[0]["title"]
    assert fields["👥 Participants"] == "2 (2 finished)"
    assert fields["💯 Perfect runs"] == "1"
    assert fields["🎖️ Badges earned"] == "2"  # Ann: the pack's badge and Flawless
    hardest = h.service.pack(daily.pack_id).problem(daily.problem_ids[0])
    assert fields["🧗 Hardest question"].startswith("`1.`")  # all tie at 50%: the first
    assert f"50% got it right · answer **{hardest.answer}**" in fields["🧗 Hardest question"]
    assert card.components == []
    await h.bot.conversation.watcher.sweep()
    assert len(api.edits_of(card.id)) == 1  # closed once

    late = await h.click_id(ADMIN, card, f"lrq:ds:{daily.id}")  # an old client still shows it
    assert "has ended" in h.note(late)


async def test_the_next_days_card_closes_the_previous_one(h: Harness, api: FakeDiscord) -> None:
    first = await post_card(h)
    h.clock.set(MIDNIGHT_UTC + 9 * 3600)  # the watcher did not run overnight
    second = await h.admin(ADMIN, "post-daily")
    assert "for 2026-05-29" in h.note(second)
    assert "closed" in first.text and "👥 Participants\nNobody" in first.text
    assert first.components == []
    again = await h.admin(ADMIN, "post-daily")
    assert "is already posted" in h.note(again)
    assert len([m for m in h.messages_in() if "Daily challenge" in m.text]) == 2


async def test_a_restart_between_the_card_and_start(
    api: FakeDiscord, db_path: Path, clock: FakeClock
) -> None:
    first = await Harness.start(api, db_path, clock)
    card = await post_card(first)
    await first.close()
    second = await Harness.start(api, db_path, clock)
    try:
        run = await start(second, ANN, card)
        assert "Question 1/5" in run.text
        await second.play(ANN, run)
        again = await second.click(ANN, card, "Start")
        assert "already played" in second.note(again)
    finally:
        await second.close()


async def test_a_schedule_fires_once_with_two_bots_on_one_database(
    api: FakeDiscord, db_path: Path, clock: FakeClock
) -> None:
    a = await Harness.start(api, db_path, clock)
    b = await Harness.start(api, db_path, clock)
    try:
        added = await a.admin(ADMIN, "add", "schedule", time="21:00", timezone="UTC")
        assert "🗓️ Added schedule" in a.note(added)
        both = [a.bot.conversation.scheduler, b.bot.conversation.scheduler]
        assert await asyncio.gather(*(s.tick() for s in both)) == [[], []]  # 20:26: not yet
        clock.set(MIDNIGHT_UTC - 3 * 3600 + 5)  # 21:00:05
        for _ in range(3):
            await asyncio.gather(*(s.tick() for s in both))
        cards = [m for m in a.messages_in() if "Daily challenge" in m.text]
        assert len(cards) == 1 and len(api.channel_posts(CHANNEL_ID)) == 1
        await b.close()  # one restarts around the fire time
        b = await Harness.start(api, db_path, clock)
        assert await b.bot.conversation.scheduler.tick() == []
        run = await start(b, ANN, cards[0])  # the other process serves the card's clicks
        assert "Question 1/5" in run.text
    finally:
        await a.close()
        await b.close()


async def test_a_late_bot_posts_within_the_grace_and_skips_beyond(
    h: Harness, api: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    await h.admin(ADMIN, "add", "schedule", time="21:00", timezone="UTC")
    h.bot.conversation.scheduler.grace_s = 600
    h.clock.set(MIDNIGHT_UTC - 3 * 3600 + 540)  # back 9 minutes late: posts
    assert [r.status for r in await h.bot.conversation.scheduler.tick()] == ["posted"]
    h.clock.set(MIDNIGHT_UTC + 21 * 3600 + 660)  # the next day 11 minutes late: skipped
    with caplog.at_level(logging.WARNING):
        assert [r.status for r in await h.bot.conversation.scheduler.tick()] == ["skipped"]
    assert "skipped" in caplog.text
    assert len(api.channel_posts(CHANNEL_ID)) == 1


async def test_a_live_question_schedule_posts_a_live_question(h: Harness, api: FakeDiscord) -> None:
    added = await h.admin(
        ADMIN,
        "add",
        "schedule",
        channel=OTHER_CHANNEL_ID,
        time="21:00",
        timezone="UTC",
        format="live",
    )
    assert "card" not in h.note(added) and "live" in h.note(added)
    h.clock.set(MIDNIGHT_UTC - 3 * 3600)
    assert [r.status for r in await h.bot.conversation.scheduler.tick()] == ["posted"]
    [message] = h.messages_in(OTHER_CHANNEL_ID)
    assert "📣 Live question" in message.text
    assert h.bot.conversation.watcher._wake.is_set()


async def test_a_scheduled_post_that_discord_refuses_is_recorded_as_failed(
    h: Harness, api: FakeDiscord
) -> None:
    await h.admin(ADMIN, "add", "schedule", time="21:00", timezone="UTC")
    api.deny_channels.add(CHANNEL_ID)  # the bot lost access after the schedule was made
    h.clock.set(MIDNIGHT_UTC - 3 * 3600)
    assert [r.status for r in await h.bot.conversation.scheduler.tick()] == ["failed"]
    assert await h.bot.conversation.scheduler.tick() == []


async def test_badges_are_announced_only_when_the_server_opts_in(
    h: Harness, api: FakeDiscord
) -> None:
    card = await post_card(h)
    await h.play(ANN, await start(h, ANN, card))
    assert h.messages_in() == [card]  # no announcement: the server has not opted in

    refused = await h.admin(BOB, "announce", state="on")
    assert "Manage Server" in h.note(refused)
    sent = await h.admin(ADMIN, "announce", channel=OTHER_CHANNEL_ID, state="on")
    assert h.note(sent) == f"📣 Badge announcements are on, in <#{OTHER_CHANNEL_ID}>."
    await h.play(BOB, await start(h, BOB, card))
    [announcement] = api.channel_posts(OTHER_CHANNEL_ID)
    assert announcement.body["allowed_mentions"]["parse"] == []  # shown, not pinged
    lines = announcement.body["content"].splitlines()
    assert lines[0].startswith(f"🎖️ <@{BOB.id}> earned")
    assert any("**Flawless**" in line for line in lines)

    off = await h.admin(ADMIN, "announce", state="off")
    assert h.note(off) == "🔕 Badge announcements are off."
    _, run = await h.start_run(ANN, "challenge")
    await h.play(ANN, run)
    assert len(api.channel_posts(OTHER_CHANNEL_ID)) == 1


async def test_announcements_default_to_the_channel_of_the_run(
    h: Harness, api: FakeDiscord
) -> None:
    await h.admin(ADMIN, "announce", state="on")
    _, run = await h.start_run(ANN, "challenge")
    await h.play(ANN, run)
    [announcement] = [m for m in h.messages_in() if "earned" in m.content]
    assert f"<@{ANN.id}> earned" in announcement.content


async def test_three_days_in_a_row_make_a_streak_in_stats_and_badges(h: Harness) -> None:
    for day in range(3):
        h.clock.set(MIDNIGHT_UTC + (day - 1) * 86_400 + 12 * 3600)  # noon on each day
        await h.admin(ADMIN, "post-daily")
        card = [m for m in h.messages_in() if "Daily challenge" in m.text][-1]
        run = await start(h, ANN, card)
        await h.play(ANN, run)
    assert "Badge earned: **On a Roll**" in run.text

    stats = h.callback(await h.slash(ANN, "stats")).data["embeds"][0]
    assert "**Daily streak:** 🔥 3 days in a row" in stats["description"]
    _, badge_list = stats["description"].split("**Badges**\n")
    assert "🔥 **On a Roll** — " in badge_list
    badges = h.callback(await h.slash(ANN, "badges")).data["embeds"][0]
    streak, earned, todo = badges["description"].split("\n\n")
    assert streak == "**Daily streak:** 🔥 3 days in a row"
    assert "On a Roll" in earned and "On a Roll" not in todo
    assert "Week Streak" in todo and "Perfect Test" in todo

    h.clock.advance(2 * 86_400)  # two days without a run: the streak is over
    stats = h.callback(await h.slash(ANN, "stats")).data["embeds"][0]
    assert "**Daily streak:** none yet — finish today's daily challenge" in stats["description"]


async def test_the_streak_counts_days_in_the_first_schedules_time_zone(h: Harness) -> None:
    # 14:30 and 15:30 UTC on one UTC day are 23:30 and 00:30 on two days in Tokyo.
    await h.admin(ADMIN, "add", "schedule", time="08:00", timezone="Asia/Tokyo")
    for hour in (14.5, 15.5):
        h.clock.set(MIDNIGHT_UTC + hour * 3600)
        sent = await h.admin(ADMIN, "post-daily")
        assert "Posted" in h.note(sent)
        card = [m for m in h.messages_in() if "Daily challenge" in m.text][-1]
        await h.play(ANN, await start(h, ANN, card))
    stats = h.callback(await h.slash(ANN, "stats")).data["embeds"][0]
    assert "🔥 2 days in a row" in stats["description"]
