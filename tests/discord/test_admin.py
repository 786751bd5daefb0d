"""/lrquiz-admin schedules and post-daily: clear private messages naming every bad value,
the schedule list and its changes, and members without Manage Server refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.discord.render import DENIED
from bot.engine.clock import FakeClock
from storage.schedules import StoredSchedule, list_schedules
from storage.users import PlayerRef

from .fake_api import FakeDiscord
from .support import (
    ADMIN,
    ANN,
    BOB,
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    OTHER_CHANNEL_ID,
    Harness,
    wrong_letters,
)

GOOD = {"time": "09:30", "timezone": "Europe/Berlin"}


async def add(h: Harness, user=ADMIN, channel: int | None = None, **values: str):
    return await h.admin(user, "add", "schedule", channel=channel, **{**GOOD, **values})


@pytest.mark.parametrize(
    ("values", "channel", "expected"),
    [
        ({"time": "25:00"}, None, "⚠️ time '25:00' is not a time of day; use HH:MM"),
        ({"time": "noon"}, None, "⚠️ time 'noon' is not a time of day"),
        ({"timezone": "Mars/Olympus"}, None, "⚠️ time zone 'Mars/Olympus' is not an IANA"),
        ({"weekdays": "caturday"}, None, "⚠️ weekday 'caturday' is not a day"),
        ({"pack": "no-such-pack"}, None, "⚠️ unknown pack 'no-such-pack'; loaded packs:"),
        ({"format": "poll"}, None, "⚠️ format 'poll' is not one of: card, live"),
        ({}, OTHER_CHANNEL_ID, f"⚠️ I can't post in <#{OTHER_CHANNEL_ID}>"),  # no access
        ({}, 42, "⚠️ channel 42 does not exist"),
        ({}, 43, "⚠️ channel <#43> is not a text or announcement channel"),
        ({}, 44, "⚠️ channel <#44> is not in this server"),
    ],
)
async def test_an_invalid_schedule_is_a_private_message_naming_the_value(
    h: Harness, api: FakeDiscord, values: dict[str, str], channel: int | None, expected: str
) -> None:
    api.deny_channels.add(OTHER_CHANNEL_ID)
    api.channel_overrides.update({42: {"missing": True}, 43: {"type": 2}, 44: {"guild_id": "1"}})
    sent = await add(h, channel=channel, **values)
    assert h.callback(sent).data["flags"] & EPHEMERAL
    assert h.note(sent).startswith(expected), h.note(sent)
    assert await h.bot.conversation.admin.schedules.list(str(GUILD_ID)) == []
    listed = await h.admin(ADMIN, "list", "schedule")
    assert "No schedules yet" in h.callback(listed).data["embeds"][0]["description"]


async def test_add_list_pause_resume_remove(h: Harness) -> None:
    sent = await add(h, channel=OTHER_CHANNEL_ID, weekdays="mon-fri", time="7:05")
    note = h.note(sent)
    match = re.search(r"Added schedule `(\w+)`", note)
    assert match, note
    schedule_id = match[1]
    assert "07:05 Europe/Berlin, mon,tue,wed,thu,fri" in note and "card" in note
    assert f"in <#{OTHER_CHANNEL_ID}>" in note
    # Thursday 2026-05-28 22:26 in Berlin: next is Friday 07:05 CEST = 05:05 UTC.
    assert "First post <t:1780031100:R>" in note
    assert h.bot.conversation.scheduler._wake.is_set()  # re-plans its next wake-up
    h.clock.advance(1)  # the list is in order of creation
    await add(h, format="live")

    listed = h.callback(await h.admin(ADMIN, "list", "schedule")).data
    assert listed["flags"] & EPHEMERAL
    lines = listed["embeds"][0]["description"].splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"`{schedule_id}` · <#{OTHER_CHANNEL_ID}> · 07:05 Europe/Berlin")
    assert lines[0].endswith("next <t:1780031100:R>")
    assert "live of" in lines[1] and f"<#{CHANNEL_ID}>" in lines[1]

    paused = await h.admin(ADMIN, "pause", "schedule", id=schedule_id)
    assert h.note(paused).startswith(f"⏸️ Paused schedule `{schedule_id}`: ")
    assert "07:05 Europe/Berlin" in h.note(paused)
    listed = h.callback(await h.admin(ADMIN, "list", "schedule")).data
    assert listed["embeds"][0]["description"].splitlines()[0].endswith("⏸️ paused")
    resumed = await h.admin(ADMIN, "resume", "schedule", id=schedule_id)
    assert h.note(resumed).startswith(f"▶️ Resumed schedule `{schedule_id}`: ")
    removed = await h.admin(ADMIN, "remove", "schedule", id=schedule_id)
    assert h.note(removed).startswith(f"🗑️ Removed schedule `{schedule_id}`: ")
    listed = h.callback(await h.admin(ADMIN, "list", "schedule")).data
    assert len(listed["embeds"][0]["description"].splitlines()) == 1
    for action in ("remove", "pause", "resume"):
        gone = await h.admin(ADMIN, action, "schedule", id=schedule_id)
        assert h.note(gone) == f"⚠️ no schedule '{schedule_id}' here; see the schedule list"


async def test_schedules_survive_a_restart(
    api: FakeDiscord, db_path: Path, clock: FakeClock
) -> None:
    first = await Harness.start(api, db_path, clock)
    await add(first)
    await first.close()
    second = await Harness.start(api, db_path, clock)
    try:
        listed = second.callback(await second.admin(ADMIN, "list", "schedule")).data
        assert "09:30 Europe/Berlin, every day, card of" in listed["embeds"][0]["description"]
    finally:
        await second.close()


async def test_a_member_without_manage_server_is_refused_everything(
    h: Harness, api: FakeDiscord
) -> None:
    await add(h)
    [schedule] = await h.bot.conversation.admin.schedules.list(str(GUILD_ID))
    attempts = [
        await add(h, user=BOB),
        await h.admin(BOB, "list", "schedule"),
        await h.admin(BOB, "pause", "schedule", id=schedule.id),
        await h.admin(BOB, "remove", "schedule", id=schedule.id),
        await h.admin(BOB, "post-daily"),
        await h.admin(BOB, "announce", state="on"),
    ]
    for sent in attempts:
        assert h.note(sent) == DENIED
        assert h.callback(sent).data["flags"] & EPHEMERAL
    assert len(await _all_schedules(h)) == 1 and not (await _all_schedules(h))[0].paused
    assert api.channel_posts(CHANNEL_ID) == []


async def _all_schedules(h: Harness) -> list[StoredSchedule]:
    return await h.service.db.run(lambda conn: list_schedules(conn, "discord"))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"timezone": "Atlantis/Lost"}, "⚠️ time zone 'Atlantis/Lost' is not an IANA"),
        ({"pack": "nope"}, "⚠️ unknown pack 'nope'"),
    ],
)
async def test_post_daily_names_a_bad_time_zone_or_pack(
    h: Harness, values: dict[str, str], expected: str
) -> None:
    sent = await h.admin(ADMIN, "post-daily", **values)
    assert h.note(sent).startswith(expected)
    assert h.messages_in() == []


async def test_post_daily_in_a_channel_the_bot_cannot_post_in(h: Harness, api: FakeDiscord) -> None:
    api.deny_channels.add(OTHER_CHANNEL_ID)
    sent = await h.admin(ADMIN, "post-daily", channel=OTHER_CHANNEL_ID)
    assert h.note(sent).startswith(f"⚠️ I couldn't post in <#{OTHER_CHANNEL_ID}>")
    api.deny_channels.clear()  # fixed: posting again posts the card that failed before
    again = await h.admin(ADMIN, "post-daily", channel=OTHER_CHANNEL_ID)
    assert "📅 Posted the daily challenge" in h.note(again)
    assert len(h.messages_in(OTHER_CHANNEL_ID)) == 1


async def test_post_daily_links_to_the_card(h: Harness) -> None:
    sent = await h.admin(ADMIN, "post-daily", timezone="Asia/Tokyo")
    [card] = h.messages_in()
    note = h.note(sent)
    assert "for 2026-05-29" in note  # already Friday in Tokyo
    assert note.endswith(f"/{CHANNEL_ID}/{card.id}")


async def test_timezone_autocomplete_offers_iana_names(h: Harness) -> None:
    options = [
        {"type": 3, "name": "time", "value": "09:00"},
        {"type": 3, "name": "timezone", "value": "berl", "focused": True},
    ]
    sent = await h.slash(
        ADMIN, "add", "lrquiz-admin", options, subgroup="schedule", autocomplete=True
    )
    callback = h.callback(sent)
    assert callback.body["type"] == 8
    assert [c["value"] for c in callback.body["data"]["choices"]] == ["Europe/Berlin"]


async def test_the_leaderboard_shows_every_period_and_your_own_rank_outside_the_top_10(
    h: Harness,
) -> None:
    workspace = str(GUILD_ID)
    for n in range(11):
        player = await h.service.player_id(PlayerRef("discord", workspace, str(n), f"P{n:02d}"))
        run = await h.service.start(player, "challenge", seed=n)
        problem = h.service.pack(run.pack_id).problem(run.problem_ids[0])
        await h.service.answer(run.id, player, problem.answer)
    _, run = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(run)
    for letter in wrong_letters(problem)[:2]:  # both attempts wrong: answered, 0 points
        await h.click(ANN, run, letter)

    titles = {}
    for period in ("day", "week", "month", "all"):
        option = [{"type": 3, "name": "period", "value": period}]
        sent = await h.slash(ANN, "leaderboard", options=option)
        embed = h.callback(sent).data["embeds"][0]
        titles[period] = embed["title"]
        lines = embed["description"].splitlines()
        assert len(lines) == 12, lines  # the top 10, an ellipsis, and you
        assert lines[-2] == "…"
        assert lines[-1] == f"12. <@{ANN.id}> — **0 pts** · 0/1 correct (0%)"
    assert titles == {
        "day": "🏆 Leaderboard — today",
        "week": "🏆 Leaderboard — this week",
        "month": "🏆 Leaderboard — this month",
        "all": "🏆 Leaderboard — all time",
    }
    option = [{"type": 3, "name": "period", "value": "year"}]
    bad = await h.slash(ANN, "leaderboard", options=option)
    assert h.note(bad) == "Unknown period 'year'; use one of day, week, month, all."
