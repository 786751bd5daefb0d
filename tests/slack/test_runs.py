"""Personal runs: right, wrong, hint, expired and stale clicks, Next, Quit and time-outs."""

from __future__ import annotations

import logging

import pytest

from .support import Harness, action_ids, all_text, button, reveal_ids


async def test_right_answer_reveals_then_next_starts_a_fresh_clock(slack: Harness) -> None:
    question = await slack.command("challenge")
    letter = await slack.right_letter(question)
    reveal = await slack.press(question, f"lrquiz_answer_{letter}")
    assert reveal["replace_original"] is True  # the ephemeral message is replaced
    text = all_text(reveal)
    assert "✅ Correct! +" in text and "points" in text
    assert f"*Answer: {letter}.*" in text
    assert "*Solution*" in text and "*Final answer:*" in text and "*Quick check:*" in text
    assert reveal_ids(reveal) == ["lrquiz_next"]
    session = await slack.session_of(question)
    assert button(reveal, "lrquiz_next")["value"] == session.id

    slack.clock.advance(300)  # reading the solution takes as long as it takes
    nxt = await slack.press(reveal, "lrquiz_next")
    assert "Question 2/5" in all_text(nxt)
    assert "(2:00 left)" in all_text(nxt)  # the clock starts at the click
    session = await slack.service.session(session.id)
    assert session.current is not None and session.current.index == 1
    assert session.current.deadline == slack.clock.now() + 120


async def test_wrong_then_wrong_again_closes_with_the_key(slack: Harness) -> None:
    question = await slack.command("challenge")
    right = await slack.right_letter(question)
    wrong = [x for x in "ABCD" if x != right]
    again = await slack.press(question, f"lrquiz_answer_{wrong[0]}")
    text = all_text(again)
    assert f"❌ *{wrong[0]}* is not it. 1 attempt left." in text
    assert f"tried {wrong[0]}" in text
    assert "lrquiz_answer_A" in action_ids(again)

    closed = await slack.press(again, f"lrquiz_answer_{wrong[1]}")
    text = all_text(closed)
    assert "❌ Not this time." in text
    assert f"You answered {wrong[0]}, {wrong[1]}" in text
    assert f"*Answer: {right}.*" in text
    assert reveal_ids(closed) == ["lrquiz_next"]


async def test_hint_is_shown_and_halves_points(slack: Harness) -> None:
    question = await slack.command("challenge")
    hinted = await slack.press(question, "lrquiz_hint")
    session = await slack.session_of(question)
    problem = slack.service.pack().problem(session.current.problem_id)  # type: ignore[union-attr]
    text = all_text(hinted)
    assert "💡 *Hint:*" in text and "hint used (points halved)" in text
    assert "lrquiz_hint" not in action_ids(hinted)
    assert problem.hint.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in text

    reveal = await slack.press(hinted, f"lrquiz_answer_{problem.answer}")
    assert "(hint used)" in all_text(reveal)
    session = await slack.service.session(session.id)
    full = {"easy": 10, "medium": 20, "hard": 30}[problem.difficulty]
    assert session.questions[0].points == full // 2


async def test_hint_in_test_mode_is_refused_in_place(slack: Harness) -> None:
    question = await slack.command("test")
    session = await slack.session_of(question)
    reply = await slack.click("lrquiz_hint", f"{session.id}:0")
    assert "Hints are not available in test mode." in all_text(reply)
    assert "Question 1/10" in all_text(reply)


async def test_click_after_the_deadline_reveals_time_up(slack: Harness) -> None:
    question = await slack.command("challenge")
    letter = await slack.right_letter(question)
    slack.clock.advance(121)
    reply = await slack.press(question, f"lrquiz_answer_{letter}")
    text = all_text(reply)
    assert "Time's up: this question closed at its deadline." in text
    assert "⏰ Time's up!" in text
    assert reveal_ids(reply) == ["lrquiz_next"]
    session = await slack.session_of(question)
    assert session.questions[0].outcome == "expired" and session.points == 0


async def test_stale_button_rerenders_the_current_question(slack: Harness) -> None:
    question = await slack.command("challenge")
    letter = await slack.right_letter(question)
    reveal = await slack.press(question, f"lrquiz_answer_{letter}")
    second = await slack.press(reveal, "lrquiz_next")
    # A double click on the first question's button arrives late.
    reply = await slack.press(question, f"lrquiz_answer_{letter}")
    text = all_text(reply)
    assert "That button belongs to an earlier question." in text
    assert "Question 2/5" in text
    assert action_ids(reply) == action_ids(second)
    session = await slack.session_of(question)
    assert session.questions[1].attempts == ()  # nothing was recorded on question 2


async def test_next_before_answering_keeps_the_question(slack: Harness) -> None:
    question = await slack.command("practice")
    session = await slack.session_of(question)
    reply = await slack.click("lrquiz_next", session.id)
    assert "Answer the current question first." in all_text(reply)
    assert "Question 1/5" in all_text(reply)


async def test_quit_shows_the_summary(slack: Harness) -> None:
    question = await slack.command("challenge")
    reply = await slack.press(question, "lrquiz_quit")
    text = all_text(reply)
    assert "Challenge ended early" in text and "*Score:* 0/5 correct" in text
    assert reveal_ids(reply) == []


async def test_perfect_challenge_earns_the_badge(slack: Harness) -> None:
    message = await slack.command("challenge")
    for number in range(1, 6):
        assert f"Question {number}/5" in all_text(message)
        letter = await slack.right_letter(message)
        reveal = await slack.press(message, f"lrquiz_answer_{letter}")
        if number < 5:
            message = await slack.press(reveal, "lrquiz_next")
    text = all_text(reveal)
    assert "Challenge finished" in text and "*Score:* 5/5 correct" in text
    assert "🎖️ Badge earned: *Learning Rate Differential Master*" in text
    assert "lrquiz_next" not in action_ids(reveal)

    badges = all_text(await slack.command("badges"))
    earned, _, missing = badges.partition("Still to earn")
    assert "🎖️ *Learning Rate Differential Master* — " in earned  # once: no "×1"
    assert "✨ *Flawless* — " in earned  # built-in: first try, no hints
    assert "Learning Rate Differential Master" not in missing
    assert "🔥 *On a Roll* — Daily challenges 3 days in a row." in missing  # streak built-ins
    stats = all_text(await slack.command("stats"))
    assert "*Accuracy:* 5/5 correct (100%)" in stats and "• ✨ *Flawless* — " in stats


async def test_someone_elses_run_is_refused_privately(slack: Harness) -> None:
    question = await slack.command("challenge", user="U1", name="ann")
    reply = await slack.press(question, "lrquiz_answer_A", user="U2", name="bob")
    assert reply["replace_original"] is False and reply["response_type"] == "ephemeral"
    assert "belongs to someone else" in all_text(reply)


async def test_unknown_run(slack: Harness) -> None:
    reply = await slack.click("lrquiz_answer_A", "deadbeef0000:0")
    assert "There is no quiz run with id 'deadbeef0000'" in all_text(reply)


async def test_time_out_with_nobody_clicking_replaces_via_stored_response_url(
    slack: Harness,
) -> None:
    question = await slack.command("challenge")
    first = slack.fake.responses[-1].key  # the command's response_url
    letter = await slack.wrong_letter(question)
    await slack.press(question, f"lrquiz_answer_{letter}")  # a newer response_url
    latest = slack.fake.responses[-1].key
    slack.clock.advance(121)
    assert await slack.bot.watcher.sweep() == 1
    body = await slack.fake.response(latest, count=2)
    assert body["replace_original"] is True
    assert "⏰ Time's up!" in all_text(body) and reveal_ids(body) == ["lrquiz_next"]
    assert len(slack.fake.posted_to(first)) == 1  # the older url is not used again


async def test_time_out_with_an_expired_response_url_is_logged(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    question = await slack.command("challenge")
    slack.fake.expired.add(slack.fake.responses[-1].key)
    slack.clock.advance(121)
    with caplog.at_level(logging.WARNING):
        assert await slack.bot.watcher.sweep() == 1
    assert "could not update its message" in caplog.text
    # The run still closed in storage; the next click shows the reveal.
    session = await slack.session_of(question)
    assert session.questions[0].outcome == "expired"
    reply = await slack.click("lrquiz_next", session.id)
    assert "Question 2/5" in all_text(reply)


async def test_someone_elses_test_run_hint_is_refused_privately(slack: Harness) -> None:
    """Hints are refused by mode before ownership is checked; still nobody else's message."""
    question = await slack.command("test", user="U1", name="ann")
    session = await slack.session_of(question)
    owner_url = (await slack.service.message_ref("slack", "run", session.id)).data  # type: ignore[union-attr]
    reply = await slack.click("lrquiz_hint", f"{session.id}:0", user="U2", name="bob")
    assert reply["replace_original"] is False
    assert "belongs to someone else" in all_text(reply)
    assert (await slack.service.message_ref("slack", "run", session.id)).data == owner_url  # type: ignore[union-attr]
