"""`/lrquiz admin schedule …`: validation naming the bad value, list, pause, resume, remove,
and firing through Scheduler.tick(): once per occurrence with two apps on one database,
late within the grace window, skipped beyond it, and surviving restarts."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.dailies import DailyChallenges
from bot.engine.clock import FakeClock
from bot.scheduler import DEFAULT_GRACE_S, GRACE_ENV, grace_from_env
from bot.slack.app import SlackSettings
from problems.model import Pack

from .fake_slack import FakeSlack
from .support import Harness, action_ids, all_text, button, cards, make_bot

ADD = "schedule add 09:30 Europe/Berlin <#C2|quiz>"


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def schedule_id(reply: dict) -> str:
    match = re.search(r"Added schedule `([0-9a-f]+)`", all_text(reply))
    assert match, all_text(reply)
    return match.group(1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utc(2026, 5, 28, 6, 0))  # Thursday, 08:00 in Berlin


@pytest.fixture
async def pair(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> AsyncIterator[tuple[Harness, Harness]]:
    """Two app processes on one database file, as behind a load balancer."""
    apps = [Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock) for _ in range(2)]
    yield apps[0], apps[1]
    for app in apps:
        await app.close()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("schedule add 25:00 Europe/Berlin <#C2|quiz>", "time '25:00' is not a time of day"),
        ("schedule add 9h Europe/Berlin <#C2|quiz>", "time '9h' is not a time of day"),
        ("schedule add 09:00 Moon/Base <#C2|quiz>", "time zone 'Moon/Base' is not an IANA"),
        ("schedule add 09:00 UTC #quiz", "channel '#quiz' is not a channel I can read"),
        ("schedule add 09:00 UTC quiz", "channel 'quiz' is not a channel I can read"),
        ("schedule add 09:00 UTC <#C2|quiz> caturday", "weekday 'caturday' is not a day"),
        ("schedule add 09:00 UTC <#C2|quiz> daily nopack", "unknown pack 'nopack'"),
        ("schedule add 09:00 UTC <#C2|quiz> mon a b", "'b' is more than I understand"),
        ("schedule add 09:00 UTC", "channel is missing"),
        ("schedule add 09:00", "time zone is missing"),
        ("schedule add", "time of day (HH:MM) is missing"),
    ],
)
async def test_invalid_values_are_named_and_nothing_is_stored(
    slack: Harness, text: str, needle: str
) -> None:
    reply = await slack.admin(text)
    assert reply["response_type"] == "ephemeral"
    assert needle in all_text(reply), all_text(reply)
    assert "Added schedule" not in all_text(reply)
    assert await slack.bot.conversation.admin.schedules.list("T1") == []


async def test_add_list_pause_resume_remove(slack: Harness, pack: Pack) -> None:
    listed = all_text(await slack.admin("schedule list"))
    assert "None yet" in listed

    reply = await slack.admin(f"{ADD} mon-fri")
    sid = schedule_id(reply)
    text = all_text(reply)
    assert (
        f"daily challenge card in <#C2> at 09:30 Europe/Berlin, mon,tue,wed,thu,fri, "
        f"pack `{pack.id}`"
    ) in text
    assert f"First post <!date^{int(utc(2026, 5, 28, 7, 30))}^" in text  # today, 09:30 Berlin

    live = await slack.admin(f"schedule add 18:00 UTC here weekends {pack.id} live")
    live_id = schedule_id(live)
    assert "live question in <#C1> at 18:00 UTC, sat,sun" in all_text(live)

    listed = all_text(await slack.admin("schedule"))  # list is the default
    assert f"`{sid}` — daily challenge card in <#C2>" in listed
    assert f"`{live_id}` — live question in <#C1>" in listed
    assert listed.count("· next <!date^") == 2

    assert f"⏸️ Paused schedule `{sid}`" in all_text(await slack.admin(f"schedule pause {sid}"))
    listed = all_text(await slack.admin("schedule list"))
    assert "⏸ paused" in listed and listed.count("· next <!date^") == 1
    assert f"▶️ Resumed schedule `{sid}`" in all_text(await slack.admin(f"schedule resume {sid}"))
    assert "⏸ paused" not in all_text(await slack.admin("schedule list"))

    assert f"🗑️ Removed schedule `{sid}`" in all_text(await slack.admin(f"schedule remove {sid}"))
    listed = all_text(await slack.admin("schedule list"))
    assert sid not in listed and live_id in listed

    for text, needle in [
        ("schedule remove zzz", "no schedule 'zzz' here"),
        ("schedule pause", "Name one schedule"),
        ("schedule snooze x", "I don't know “schedule snooze”"),
    ]:
        assert needle in all_text(await slack.admin(text)), text
    # Schedules belong to their workspace.
    assert await slack.bot.conversation.admin.schedules.list("T2") == []


async def test_a_non_admin_is_refused(slack: Harness) -> None:
    slack.fake.users["U2"] = {"is_admin": False}
    reply = await slack.command(ADD.replace("schedule", "admin schedule"), user="U2")
    assert "🚫 /lrquiz admin is for workspace admins and owners" in all_text(reply)
    assert await slack.bot.conversation.admin.schedules.list("T1") == []


async def test_a_scheduled_card_is_posted_exactly_once_by_two_apps(
    pair: tuple[Harness, Harness], clock: FakeClock
) -> None:
    a, b = pair
    sid = schedule_id(await a.admin(ADD))
    assert await asyncio.gather(a.bot.scheduler.tick(), b.bot.scheduler.tick()) == [[], []]
    assert cards(a.fake) == []

    clock.set(utc(2026, 5, 28, 7, 30, 2))  # 09:30:02 in Berlin
    for _ in range(3):  # both keep ticking around the fire time
        await asyncio.gather(a.bot.scheduler.tick(), b.bot.scheduler.tick())
    [card] = cards(a.fake)
    assert card["channel"] == "C2"
    daily = await DailyChallenges(a.service).get(button(card, "lrquiz_daily_start")["value"])
    assert daily.schedule_id == sid and daily.timezone == "Europe/Berlin"
    assert daily.local_date == "2026-05-28"

    # The other app serves the card's buttons just as well.
    question = await b.press(card, "lrquiz_daily_start", user="U2", name="bob")
    assert "Question 1/5" in all_text(question)

    # The next day: a new card, and yesterday's is edited into its summary.
    clock.set(utc(2026, 5, 29, 7, 31))
    await asyncio.gather(a.bot.scheduler.tick(), b.bot.scheduler.tick())
    assert len(cards(a.fake)) == 2
    [update] = [c.args for c in await a.fake.wait(lambda: a.fake.of("chat.update"))]
    assert "(closed)" in all_text(update) and "*Summary:* 1 player" in all_text(update)


async def test_a_live_schedule_posts_a_live_question(slack: Harness, pack: Pack) -> None:
    await slack.admin("schedule add 10:00 UTC <#C3|live> daily live")
    slack.clock.set(utc(2026, 5, 28, 10, 0, 1))
    [result] = await slack.bot.scheduler.tick()
    assert result.status == "posted"
    [posted] = [c.args for c in slack.fake.of("chat.postMessage")]
    assert posted["channel"] == "C3" and "📣 Live question" in all_text(posted)
    assert action_ids(posted)[-1] == "lrquiz_livehint"


async def test_missed_fires_post_late_within_grace_else_skip(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack, caplog: pytest.LogCaptureFixture
) -> None:
    first = Harness(fake, await make_bot(db_path, fake, clock, [pack], grace_s=600), clock)
    await first.admin(ADD)
    await first.close()  # the app is down at 09:30

    clock.set(utc(2026, 5, 28, 7, 39))  # back 9 minutes late: posts once, late
    second = Harness(fake, await make_bot(db_path, fake, clock, [pack], grace_s=600), clock)
    try:
        assert [r.status for r in await second.bot.scheduler.tick()] == ["posted"]
        assert len(cards(fake)) == 1
        clock.set(utc(2026, 5, 29, 7, 41))  # 11 minutes late the next day: skipped and logged
        with caplog.at_level(logging.WARNING):
            assert [r.status for r in await second.bot.scheduler.tick()] == ["skipped"]
        assert "missed 2026-05-29" in caplog.text and "skipped" in caplog.text
        assert await second.bot.scheduler.tick() == []
        assert len(cards(fake)) == 1
    finally:
        await second.close()


async def test_the_running_app_fires_on_start_and_a_paused_schedule_does_not(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> None:
    """Schedules survive a restart; start() runs the scheduler in the background."""
    first = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    sid = schedule_id(await first.admin(ADD))
    paused = schedule_id(await first.admin("schedule add 09:30 Europe/Berlin <#C4|other>"))
    await first.admin(f"schedule pause {paused}")
    await first.close()

    clock.set(utc(2026, 5, 28, 7, 31))
    second = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    try:
        await second.bot.start()
        [card] = await fake.wait(lambda: cards(fake))
        assert card["channel"] == "C2"
        listed = all_text(await second.admin("schedule list"))
        assert sid in listed and "⏸ paused" in listed
        await asyncio.sleep(0.1)
        assert [c["channel"] for c in cards(fake)] == ["C2"]
    finally:
        await second.close()


async def test_a_refused_scheduled_post_is_recorded_as_failed(slack: Harness) -> None:
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    await slack.admin(ADD)
    slack.clock.set(utc(2026, 5, 28, 7, 30, 1))
    [result] = await slack.bot.scheduler.tick()
    assert result.status == "failed"
    assert await slack.bot.scheduler.tick() == []  # not retried


async def test_a_scheduled_post_that_fails_with_5xx_is_retried_within_the_grace(
    slack: Harness,
) -> None:
    await slack.admin(ADD)
    # More 500s than the Web API client retries by itself: the scheduler tries again later.
    slack.fake.server_errors["chat.postMessage"] = 4
    slack.bot.scheduler.retry_delays_s = (0.01, 0.01)
    slack.clock.set(utc(2026, 5, 28, 7, 30, 1))
    [result] = await slack.bot.scheduler.tick()
    assert result.status == "posted"
    assert len(cards(slack.fake)) == 1
    assert len([c for c in slack.fake.calls if c.method == "chat.postMessage (500)"]) == 4


def test_grace_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert grace_from_env("") == DEFAULT_GRACE_S == 900
    assert grace_from_env(" 120 ") == 120
    for bad in ("soon", "-5", "nan"):
        with pytest.raises(ValueError, match=f"{GRACE_ENV} must be a number of seconds"):
            grace_from_env(bad)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv(GRACE_ENV, "60")
    assert SlackSettings.from_env(http=False).schedule_grace_s == 60
