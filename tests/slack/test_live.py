"""Live questions and admin commands: refusal, posting, answers, hints, one chat.update."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from problems.model import Pack

from .fake_slack import FakeSlack
from .support import CHANNEL, Harness, action_ids, all_text, make_bot

PROBLEM = "challenge-predict-group-lrs"  # a predict-output problem of the shipped pack


@pytest.fixture
async def listed(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> AsyncIterator[Harness]:
    """An app whose LRQUIZ_SLACK_ADMINS names U7."""
    harness = Harness(fake, await make_bot(db_path, fake, clock, [pack], admins=["U7"]), clock)
    yield harness
    await harness.close()


async def post(slack: Harness, problem: str = PROBLEM, user: str = "UADMIN") -> dict:
    """Post a live question as a workspace admin; the public message as chat.postMessage got it."""
    slack.fake.users[user] = {"is_admin": True}
    before = len(slack.fake.of("chat.postMessage"))
    reply = await slack.command(f"admin post {problem} now", user=user, name="boss")
    assert "📣 Posted live question" in all_text(reply), all_text(reply)
    calls = slack.fake.of("chat.postMessage")
    assert len(calls) == before + 1
    return calls[-1].args


async def test_non_admins_are_refused_and_users_info_is_cached(slack: Harness) -> None:
    slack.fake.users["U1"] = {"is_admin": False, "is_owner": False}
    for _ in range(2):
        reply = await slack.command(f"admin post {PROBLEM} now")
        assert reply["response_type"] == "ephemeral"
        assert "🚫 /lrquiz admin is for workspace admins and owners" in all_text(reply)
    assert len(slack.fake.of("users.info")) == 1  # cached
    assert slack.fake.of("chat.postMessage") == []
    assert "Admin" not in all_text(await slack.command("admin"))  # no admin help either


@pytest.mark.parametrize("flag", ["is_admin", "is_owner", "is_primary_owner"])
async def test_admins_and_owners_may_post(slack: Harness, flag: str) -> None:
    slack.fake.users["U3"] = {flag: True}
    reply = await slack.command("admin", user="U3")
    assert "/lrquiz admin post [problem-id] now" in all_text(reply)


async def test_env_listed_admin_needs_no_users_info(listed: Harness) -> None:
    reply = await listed.command(f"admin post {PROBLEM} now", user="U7")
    assert "📣 Posted live question `challenge-predict-group-lrs`" in all_text(reply)
    assert listed.fake.of("users.info") == []


async def test_admin_post_usage_errors(slack: Harness) -> None:
    slack.fake.users["U1"] = {"is_admin": True}
    later = all_text(await slack.command(f"admin post {PROBLEM} tomorrow"))
    assert "post later with `/lrquiz admin schedule add" in later
    unknown = all_text(await slack.command("admin post no-such-problem now"))
    assert "has no problem 'no-such-problem'" in unknown
    assert slack.fake.of("chat.postMessage") == []


async def test_admin_post_where_the_app_cannot_post(slack: Harness) -> None:
    slack.fake.errors["chat.postMessage"] = "not_in_channel"
    slack.fake.users["U1"] = {"is_owner": True}
    text = all_text(await slack.command("admin post now"))
    assert "I couldn't post in <#C1> (not_in_channel)" in text


async def test_live_question_lifecycle(slack: Harness, pack: Pack) -> None:
    right = pack.problem(PROBLEM).answer
    wrong_letter = next(x for x in "ABCD" if x != right)
    posted = await post(slack)
    assert posted["channel"] == CHANNEL
    text = all_text(posted)
    assert "📣 Live question" in text and "<!date^" in text and "(2:00)" in text
    assert action_ids(posted) == [f"lrquiz_live_{x}" for x in "ABCD"] + ["lrquiz_livehint"]
    live_id = posted["blocks"][-1]["elements"][0]["value"]
    ref = await slack.service.message_ref("slack", "live", live_id)
    assert ref is not None and ref.channel_id == CHANNEL and ref.message_id

    # U2 wrong, U3 right first (with a hint), U4 right later; answers stay private.
    wrong = await slack.click(f"lrquiz_live_{wrong_letter}", live_id, user="U2", name="bob")
    assert wrong["response_type"] == "ephemeral" and wrong["replace_original"] is False
    assert f"🔒 You locked in *{wrong_letter}*" in all_text(wrong)
    hint = await slack.click("lrquiz_livehint", live_id, user="U3", name="cat")
    assert "💡 *Hint:*" in all_text(hint) and "halves your points" in all_text(hint)
    slack.clock.advance(10)
    await slack.click(f"lrquiz_live_{right}", live_id, user="U3", name="cat")
    slack.clock.advance(10)
    await slack.click(f"lrquiz_live_{right}", live_id, user="U4", name="dan")
    again = await slack.click(f"lrquiz_live_{right}", live_id, user="U2", name="bob")
    assert f"You already locked in {wrong_letter}" in all_text(again)
    assert slack.fake.of("chat.update") == []  # no edits while open

    slack.clock.advance(101)
    assert await slack.bot.watcher.sweep() == 1
    updates = await slack.fake.wait(lambda: slack.fake.of("chat.update"))
    assert len(updates) == 1
    update = updates[0].args
    assert update["channel"] == CHANNEL and update["ts"] == ref.message_id
    closed = all_text(update)
    assert "Live question (closed)" in closed
    assert f"*Answer: {right}.*" in closed
    counts = {x: {wrong_letter: 1, right: 2}.get(x, 0) for x in "ABCD"}
    tally = " · ".join(f"{x}: {n}" for x, n in counts.items())
    assert f"{tally}  (3 answers, 2 right)" in closed
    assert "🥇 First right answer: <@U3>" in closed
    assert "*Solution*" in closed
    assert action_ids(update) == ["lrquiz_live_edit"]  # only Edit & run left to click
    assert await slack.bot.watcher.sweep() == 0  # closed once

    late = await slack.click(f"lrquiz_live_{right}", live_id, user="U5", name="eve")
    assert "This question is already closed." in all_text(late)
    # Points: a hint halves them; the live question counts on the leaderboard.
    board = all_text(await slack.command("leaderboard"))
    assert board.index("<@U4>") < board.index("<@U3>")


async def test_live_question_nobody_answered(slack: Harness) -> None:
    await post(slack)
    slack.clock.advance(121)
    await slack.bot.watcher.sweep()
    update = (await slack.fake.wait(lambda: slack.fake.of("chat.update")))[0].args
    assert "Nobody answered this time." in all_text(update)
    assert "(0 answers, 0 right)" in all_text(update)


async def test_click_after_deadline_before_the_sweep(slack: Harness) -> None:
    posted = await post(slack)
    live_id = posted["blocks"][-1]["elements"][0]["value"]
    slack.clock.advance(121)
    reply = await slack.click("lrquiz_live_A", live_id, user="U2")
    assert "Time's up" in all_text(reply)


async def test_rate_limited_post_is_retried(slack: Harness) -> None:
    slack.fake.rate_limited["chat.postMessage"] = 1
    await post(slack)
    methods = [c.method for c in slack.fake.calls]
    assert methods.index("chat.postMessage (429)") < methods.index("chat.postMessage")
