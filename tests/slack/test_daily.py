"""Daily challenge cards: Start opens a private timed run, once a day; the card closes with a
summary; the next card closes the previous one; restarts; badge announcements; streaks."""

from __future__ import annotations

from pathlib import Path

from bot.dailies import DailyChallenges
from bot.engine.clock import FakeClock
from problems.model import Pack

from .fake_slack import FakeSlack
from .support import CHANNEL, Harness, action_ids, all_text, button, cards, make_bot

START = "lrquiz_daily_start"
BOARD = "lrquiz_daily_board"


async def post_card(slack: Harness, where: str = "") -> dict:
    """`/lrquiz admin post daily` and the public card it posted."""
    before = len(cards(slack.fake))
    reply = await slack.admin(f"post daily {where}".strip())
    assert "📅 Posted the daily challenge for" in all_text(reply), all_text(reply)
    posted = cards(slack.fake)
    assert len(posted) == before + 1
    return posted[-1]


async def start(slack: Harness, card: dict, user: str = "U2", name: str = "bob") -> dict:
    return await slack.press(card, START, user=user, name=name)


async def test_the_card_lists_the_days_problems_with_start_and_leaderboard(
    slack: Harness, pack: Pack
) -> None:
    card = await post_card(slack)
    assert card["channel"] == CHANNEL
    text = all_text(card)
    assert "📅 *Daily challenge —" in text and "Today's 5 problems" in text
    rules = "⏱ 2:00 per question · 2 attempts · 💡 hints (halve the points) · one run per member"
    assert rules in text  # the same rules line as on Discord
    assert "closes <!date^" in text
    assert action_ids(card) == [START, BOARD]
    daily_id = button(card, START)["value"]
    assert button(card, BOARD)["value"] == daily_id  # ids only
    daily = await DailyChallenges(slack.service).get(daily_id)
    for number, problem_id in enumerate(daily.problem_ids, start=1):
        assert f"{number}. " in text
        assert pack.problem(problem_id).prompt.strip()[:40] not in text  # no spoilers
    ref = await slack.service.message_ref("slack", "daily", daily_id)
    assert ref is not None and ref.channel_id == CHANNEL and ref.message_id

    again = all_text(await slack.admin("post daily"))
    assert "is already posted in <#C1>" in again
    assert len(cards(slack.fake)) == 1


async def test_start_opens_a_private_timed_run_once_a_day(slack: Harness) -> None:
    card = await post_card(slack)
    daily = await DailyChallenges(slack.service).get(button(card, START)["value"])
    question = await start(slack, card)
    assert question["response_type"] == "ephemeral"
    assert question["replace_original"] is False  # the public card stays as it is
    text = all_text(question)
    assert f"📅 Daily challenge {daily.local_date}" in text
    assert "Question 1/5" in text and "(2:00 left)" in text and "2 attempts left" in text
    assert action_ids(question) == [f"lrquiz_answer_{x}" for x in "ABCD"] + [
        "lrquiz_hint",
        "lrquiz_quit",
    ]
    session = await slack.session_of(question)
    assert session.mode == "challenge" and session.problem_ids == daily.problem_ids

    # Clicking Start again mid-run resumes the same run instead of starting another.
    slack.clock.advance(5)
    resumed = await start(slack, card)
    assert "▶ Resuming your daily challenge." in all_text(resumed)
    assert (await slack.session_of(resumed)).id == session.id

    end = await slack.play(resumed, user="U2", name="bob")
    assert "*Score:* 5/5 correct" in all_text(end)
    again = await start(slack, card)
    assert "You already played today's challenge. Come back tomorrow!" in all_text(again)
    assert again["response_type"] == "ephemeral"
    assert slack.fake.of("chat.update") == []  # the card changes only when the day ends

    other = await start(slack, card, user="U3", name="cy")  # everyone gets their own run
    assert (await slack.session_of(other)).id != session.id


async def test_leaderboard_button_shows_today_and_the_callers_own_line(slack: Harness) -> None:
    card = await post_card(slack)
    empty = await slack.press(card, BOARD, user="U3", name="cy")
    assert empty["response_type"] == "ephemeral" and empty["replace_original"] is False
    assert "Leaderboard — today" in all_text(empty)
    assert "No answers yet" in all_text(empty) and "no points" not in all_text(empty)

    await slack.play(await start(slack, card), user="U2", name="bob")
    board = all_text(await slack.press(card, BOARD, user="U3", name="cy"))
    assert "🥇 <@U2> — *" in board and "5/5 correct (100%)" in board
    assert "<@U3> has no points in this period yet." in board
    mine = all_text(await slack.press(card, BOARD, user="U2", name="bob"))
    assert "no points" not in mine  # listed already


async def test_the_card_becomes_the_days_summary_when_the_day_ends(
    slack: Harness, pack: Pack
) -> None:
    card = await post_card(slack)
    dailies = DailyChallenges(slack.service)
    daily = await dailies.get(button(card, START)["value"])
    await slack.play(await start(slack, card, "U2", "bob"), user="U2", name="bob")
    await slack.play(await start(slack, card, "U3", "cy"), right=False, user="U3", name="cy")
    await start(slack, card, "U4", "dee")  # starts, walks away
    dee_url = slack.fake.responses[-1].key

    slack.clock.set(daily.ends_at - 1)
    await slack.bot.watcher.sweep()
    assert slack.fake.of("chat.update") == []
    slack.clock.set(daily.ends_at + 1)
    await slack.bot.watcher.sweep()
    [update] = [c.args for c in await slack.fake.wait(lambda: slack.fake.of("chat.update"))]
    posted = slack.fake.of("chat.postMessage")[0]
    assert update["channel"] == CHANNEL and update["ts"].startswith("1700000000.")
    assert update["ts"] == (await slack.service.message_ref("slack", "daily", daily.id)).message_id  # type: ignore[union-attr]
    assert posted.args["channel"] == update["channel"]
    text = all_text(update)
    assert "(closed)" in text
    assert "*Summary:* 3 players · 2 finished · 🎯 1 perfect" in text
    assert "🎖️ Badges earned: 2" in text  # bob: the pack's badge and Flawless
    summary = await dailies.summary(daily.id)
    hardest = pack.problem(summary.hardest_problem_id)  # type: ignore[arg-type]
    number = daily.problem_ids.index(hardest.id) + 1
    assert f"🧗 Hardest question: #{number} " in text
    assert f"({summary.hardest_correct_rate:.0%} got it right)" in text
    assert action_ids(update) == [BOARD]  # no Start on a closed card

    # dee's open question timed out: a new private message, never a replaced card.
    timed_out = await slack.fake.response(dee_url, count=2)
    assert timed_out["replace_original"] is False and timed_out["response_type"] == "ephemeral"
    assert "⏰ Time's up!" in all_text(timed_out)

    assert await slack.bot.watcher.sweep() == 0  # closed once
    late = await start(slack, card, "U5", "eve")
    assert "This daily challenge has ended" in all_text(late)


async def test_the_next_card_closes_the_previous_one(slack: Harness) -> None:
    first = await post_card(slack)
    slack.clock.advance(86_400)
    second = await post_card(slack)
    assert button(first, START)["value"] != button(second, START)["value"]
    [update] = [c.args for c in await slack.fake.wait(lambda: slack.fake.of("chat.update"))]
    assert "(closed)" in all_text(update) and "nobody played this one" in all_text(update)
    first_ids = (
        await DailyChallenges(slack.service).get(button(first, START)["value"])
    ).problem_ids
    second_ids = (
        await DailyChallenges(slack.service).get(button(second, START)["value"])
    ).problem_ids
    assert not set(first_ids) & set(second_ids)  # no repeats until the pack is used up


async def test_post_daily_in_another_channel_and_time_zone(slack: Harness) -> None:
    reply = all_text(await slack.admin("post daily <#C2|quiz> Asia/Tokyo"))
    assert "in <#C2>" in reply and "Asia/Tokyo" in reply
    card = cards(slack.fake)[-1]
    assert card["channel"] == "C2"
    daily = await DailyChallenges(slack.service).get(button(card, START)["value"])
    assert daily.timezone == "Asia/Tokyo" and daily.channel_id == "C2"

    for text, needle in [
        ("post daily Mars/Olympus", "time zone 'Mars/Olympus' is not an IANA time zone"),
        ("post daily #quiz", "channel '#quiz' is not a channel I can read"),
        ("post daily UTC Asia/Tokyo", "'Asia/Tokyo' is one value too many"),
    ]:
        assert needle in all_text(await slack.admin(text)), text
    assert len(cards(slack.fake)) == 1


async def test_a_refused_post_can_be_retried(slack: Harness) -> None:
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    text = all_text(await slack.admin("post daily"))
    assert "I couldn't post in <#C1> (not_in_channel)" in text
    del slack.fake.errors["chat.postMessage"]
    card = await post_card(slack)  # the same day's card, now posted
    assert card["channel"] == CHANNEL


async def test_restart_between_posting_the_card_and_clicking_start(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> None:
    first = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    card = await post_card(first)
    await first.close()

    clock.advance(60)
    second = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    try:
        await second.bot.start()
        question = await second.press(card, START, user="U2", name="bob")
        assert "Question 1/5" in all_text(question) and "(2:00 left)" in all_text(question)
        end = await second.play(question, user="U2", name="bob")
        assert "*Score:* 5/5 correct" in all_text(end)
        board = all_text(await second.press(card, BOARD, user="U2", name="bob"))
        assert "<@U2>" in board
    finally:
        await second.close()


# --- badge announcements and streaks ------------------------------------------------------


async def test_badges_are_announced_only_when_the_workspace_opts_in(slack: Harness) -> None:
    card = await post_card(slack)
    await slack.play(await start(slack, card, "U2", "bob"), user="U2", name="bob")
    assert len(slack.fake.of("chat.postMessage")) == 1  # just the card: not opted in

    state = all_text(await slack.admin("announce"))
    assert "Badge announcements are off" in state
    on = all_text(await slack.admin("announce on <#C9|wins>"))
    assert "📣 Badge announcements are on, in <#C9>." in on
    await slack.play(await start(slack, card, "U3", "cy"), user="U3", name="cy")
    announcement = (await slack.fake.wait(lambda: slack.fake.of("chat.postMessage")[1:]))[0].args
    assert announcement["channel"] == "C9"
    text = all_text(announcement)
    assert "🎉 <@U3> earned" in text
    assert "Learning Rate Differential Master" in text and "✨ *Flawless*" in text
    assert len(slack.fake.of("chat.postMessage")) == 2  # once

    # Without a channel: where the badge was earned (the card's channel).
    await slack.admin("announce on")
    await slack.play(await start(slack, card, "U4", "dee"), user="U4", name="dee")
    latest = (await slack.fake.wait(lambda: slack.fake.of("chat.postMessage")[2:]))[0].args
    assert latest["channel"] == CHANNEL and "<@U4> earned" in all_text(latest)

    off = all_text(await slack.admin("announce off"))
    assert "Badge announcements are off" in off
    await slack.play(await start(slack, card, "U5", "eve"), user="U5", name="eve")
    assert len(slack.fake.of("chat.postMessage")) == 3
    assert "announce" in all_text(await slack.admin("announce maybe"))


async def test_streaks_in_stats_and_badges_use_the_schedules_time_zone(slack: Harness) -> None:
    # Late evening in Berlin on three days in a row (the first schedule's time zone).
    added = all_text(await slack.admin("schedule add 08:00 Europe/Berlin <#C1|quiz>"))
    assert "🗓️ Added schedule" in added
    day0 = 1_780_003_800.0  # 2026-05-28 21:30 UTC = 23:30 Berlin
    for day in range(3):
        slack.clock.set(day0 + day * 86_400)
        card = await post_card(slack)  # the time zone defaults to the first schedule's
        daily = await DailyChallenges(slack.service).get(button(card, START)["value"])
        assert daily.timezone == "Europe/Berlin"
        end = await slack.play(await start(slack, card, "U2", "bob"), user="U2", name="bob")
    assert "🔥 Badge earned: *On a Roll*" in all_text(end)

    stats = all_text(await slack.command("stats", user="U2", name="bob"))
    assert "*Daily streak:* 🔥 3 days in a row" in stats
    assert "• 🔥 *On a Roll* — " in stats  # earned once: no count
    theirs = all_text(await slack.command("stats <@U2|bob>", user="U3", name="cy"))
    assert "*Daily streak:* 🔥 3 days in a row" in theirs
    badges = all_text(await slack.command("badges", user="U2", name="bob"))
    earned, _, todo = badges.partition("*Still to earn*")
    assert "*On a Roll* — " in earned and "*Week Streak* — " in todo

    slack.clock.advance(2 * 86_400)
    later = all_text(await slack.command("stats", user="U2", name="bob"))
    assert "*Daily streak:* none yet — finish today's daily challenge to start one" in later


async def test_non_admins_cannot_post_cards_or_change_settings(slack: Harness) -> None:
    slack.fake.users["U2"] = {"is_admin": False}
    for text in ("admin post daily", "admin announce on", "admin schedule list"):
        reply = await slack.command(text, user="U2")
        assert "🚫 /lrquiz admin is for workspace admins and owners" in all_text(reply)
    assert slack.fake.of("chat.postMessage") == []
    assert (await slack.service.settings("slack", "T1")).announce_badges is False


async def test_with_a_runner_the_card_has_a_fresh_variant_that_plays_like_any_problem(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack, runner_process
) -> None:
    from problems.variants import parse_variant_id
    from runner.client import RunnerClient

    from .support import Harness

    async with RunnerClient(runner_process.url, runner_process.token) as runner:
        await runner.run("print(1)")  # warm: the card's wait is the generation, not start-up
        slack = Harness(fake, await make_bot(db_path, fake, clock, [pack], runner=runner), clock)
        try:
            card = await post_card(slack)
            daily = await DailyChallenges(slack.service).get(button(card, START)["value"])
            variants = [i for i in daily.problem_ids if parse_variant_id(i)]
            assert len(variants) == 1 and parse_variant_id(variants[0])[0] in {
                t.id for t in pack.templates
            }
            variant = slack.service.pack().problem(variants[0])
            bob = {"user": "U2", "name": "bob"}
            question = await start(slack, card, **bob)
            shown: list[str] = []
            while "lrquiz_quit" in action_ids(question):
                shown.append(all_text(question))
                letter = await slack.right_letter(question)
                question = await slack.press(question, f"lrquiz_answer_{letter}", **bob)
                if "lrquiz_next" in action_ids(question):
                    question = await slack.press(question, "lrquiz_next", **bob)
            assert "*Score:* 5/5 correct" in all_text(question)
            at = daily.problem_ids.index(variant.id)
            assert variant.choices[variant.answer] in shown[at]
        finally:
            await slack.close()
