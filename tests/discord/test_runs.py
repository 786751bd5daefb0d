"""Personal runs through real discord.py dispatch: every click a player can make."""

from __future__ import annotations

from bot.engine.clock import FakeClock
from runner.client import RunnerClient

from .fake_api import FakeDiscord
from .support import ANN, BOB, EPHEMERAL, Harness, wrong_letters

UPDATE_MESSAGE = 7
DEFERRED_UPDATE = 6


async def test_challenge_question_is_ephemeral_with_buttons_code_and_live_countdown(
    h: Harness,
) -> None:
    sent, message = await h.start_run(ANN, "challenge")
    callback = h.callback(sent)
    assert callback.body["type"] == 4
    assert callback.data["flags"] & EPHEMERAL
    assert "Question 1/5" in message.text
    deadline = int(h.clock.now()) + 120
    assert f"closes <t:{deadline}:R>" in message.text  # a live Discord countdown
    assert "2 of 2 left" in message.text
    labels = [c["label"] for row in message.components for c in row["components"]]
    assert labels == ["A", "B", "C", "D", "Hint", "Quit"]
    problem = await h.current_problem(message)
    if problem.code:
        assert f"```py\n{problem.code.strip()}" in message.text


async def test_right_answer_reveals_the_solution_then_next_opens_the_next_question(
    h: Harness,
) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    click = await h.click(ANN, message, problem.answer)
    assert h.callback(click).body["type"] in (UPDATE_MESSAGE, DEFERRED_UPDATE)
    text = message.text
    assert "✅ Correct! +" in text
    assert f"Answer: {problem.answer}." in text
    for part in ("Solution", "Final answer:", problem.solution.steps[0]):
        assert part in text
    if problem.solution.quick_check:
        assert "Quick check:" in text
    if problem.solution.common_mistakes:
        assert "Common mistakes" in text
    labels = ("Next ▶", "Edit & run", "Quit") if problem.code else ("Next ▶", "Quit")
    assert [message.button(label)["custom_id"] for label in labels] == message.custom_ids()

    h.clock.advance(300)  # reading the solution takes no time off the next question
    await h.click(ANN, message, "Next ▶")
    assert "Question 2/5" in message.text
    assert f"<t:{int(h.clock.now()) + 120}:R>" in message.text


async def test_wrong_answer_keeps_the_question_with_one_attempt_fewer(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    first, second = wrong_letters(problem)[:2]

    await h.click(ANN, message, first)
    assert f"❌ **{first}** is not it. 1 attempt left." in message.content
    assert "1 of 2 left · tried " + first in message.text
    assert message.button(first)["disabled"] is True
    assert "Question 1/5" in message.text

    await h.click(ANN, message, second)  # the last attempt, also wrong: the reveal
    assert "❌ Not this time." in message.text
    assert f"Answer: {problem.answer}." in message.text
    assert f"You answered {first}, {second}." in message.text
    assert message.content == ""  # the note of the first attempt is gone
    message.button("Next ▶")


async def test_hint_shows_in_the_question_and_halves_the_points(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    await h.click(ANN, message, "Hint")
    assert "💡 Hint" in message.text and problem.hint in message.text
    assert message.button("Hint")["disabled"] is True
    await h.click(ANN, message, problem.answer)
    assert "(hint used)" in message.text


async def test_deadline_reveals_in_place_when_nobody_clicks(h: Harness, api: FakeDiscord) -> None:
    sent, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    h.clock.advance(119)
    assert await h.bot.conversation.watcher.sweep() == 0
    h.clock.advance(2)
    assert await h.bot.conversation.watcher.sweep() == 1
    edits = [c for c in api.for_token(sent.token) if c.method == "PATCH"]
    assert [c.path.rsplit("/", 1)[-1] for c in edits] == ["@original"]
    assert "⏰ Time's up!" in message.text
    assert f"Answer: {problem.answer}." in message.text
    message.button("Next ▶")


async def test_an_expired_token_leaves_the_reveal_to_the_next_click(
    h: Harness, api: FakeDiscord
) -> None:
    _, timed = await h.start_run(ANN, "challenge")
    h.clock.advance(15 * 60)  # e.g. the bot was down longer than a token lives
    assert await h.bot.conversation.watcher.sweep() == 1
    assert [c for c in api.calls if c.method == "PATCH"] == []
    await h.click(ANN, timed, "A")
    assert "⏰ Time's up!" in timed.text


async def test_quit_ends_the_run_with_its_summary(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    await h.click(ANN, message, problem.answer)
    await h.click(ANN, message, "Next ▶")
    await h.click(ANN, message, "Quit")
    assert "Challenge ended early" in message.text  # the summary alone: nothing to reveal
    assert "Score:** 1/5 correct" in message.text
    assert message.components == []


async def test_click_after_the_deadline_shows_the_reveal_not_an_error(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    h.clock.advance(121)
    await h.click(ANN, message, problem.answer)  # too late, and no sweep has run yet
    assert "⏰ Time's up!" in message.text
    session = await h.service.session(message.button("Next ▶")["custom_id"].split(":")[2])
    assert session.questions[0].outcome == "expired"
    assert session.questions[0].attempts == ()


async def test_stale_button_from_an_earlier_question_is_explained(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    old = type(message)(message.id, message.channel_id, components=message.components)
    await h.click(ANN, message, problem.answer)
    await h.click(ANN, message, "Next ▶")
    stale = await h.click(ANN, old, wrong_letters(problem)[0])
    assert h.note(stale) == "That button belongs to an earlier question."
    assert "Question 2/5" in message.text  # the run itself is untouched


async def test_someone_elses_run_is_refused_politely(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    for label in (problem.answer, "Hint"):
        foreign = await h.click(BOB, message, label)
        assert "belongs to someone else" in h.note(foreign)
    assert "2 of 2 left" in message.text
    session_id = message.button("A")["custom_id"].split(":")[2]
    assert (await h.service.session(session_id)).questions[0].attempts == ()


async def test_double_click_on_next_does_not_skip_a_question(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    await h.click(ANN, message, problem.answer)
    stale = type(message)(message.id, message.channel_id, components=message.components)
    await h.click(ANN, message, "Next ▶")
    await h.click(ANN, stale, "Next ▶")
    assert "Question 2/5" in message.text


async def test_test_mode_has_no_hint_and_one_attempt(h: Harness) -> None:
    _, message = await h.start_run(ANN, "test")
    assert "Question 1/10" in message.text
    assert "1 of 1 left" in message.text
    assert "Hint" not in [c["label"] for row in message.components for c in row["components"]]
    problem = await h.current_problem(message)
    await h.click(ANN, message, wrong_letters(problem)[0])
    assert "❌ Not this time." in message.text


async def test_practice_is_untimed_and_learn_starts_with_the_concept(h: Harness) -> None:
    _, practice = await h.start_run(ANN, "practice")
    assert "Question 1/5" in practice.text and "<t:" not in practice.text
    _, learn = await h.start_run(ANN, "learn")
    pack = h.service.pack()
    assert learn.embeds[0]["title"] == f"📘 {pack.title}"
    assert "Question 1/5" in learn.embeds[1]["title"]


async def test_a_whole_challenge_ends_with_score_points_badge_and_real_output(
    api: FakeDiscord, db_path, clock: FakeClock, runner: RunnerClient
) -> None:
    h = await Harness.start(api, db_path, clock, runner)
    try:
        _, message = await h.start_run(ANN, "challenge")
        ran = 0
        for number in range(1, 6):
            problem = await h.current_problem(message)
            click = await h.click(ANN, message, problem.answer)
            if problem.kind == "predict-output":
                # Answered at once by editing the message; the output is in it, now or in
                # a second edit once the runner has answered.
                assert h.callback(click).body["type"] == UPDATE_MESSAGE
                assert "Real output (PyTorch 2.13.0)" in message.text
                ran += 1
            if number < 5:
                await h.click(ANN, message, "Next ▶")
        assert ran == 1  # a challenge has one problem of each kind
        text = message.text
        assert "Challenge finished" in text
        assert "Score:** 5/5 correct" in text
        assert "Points:**" in text
        assert "Badge earned: **Learning Rate Differential Master**" in text
        # Nothing left to click but Edit & run, when the last question had code.
        labels = [c["label"] for row in message.components for c in row["components"]]
        assert labels == (["Edit & run"] if problem.code else [])
    finally:
        await h.close()


async def test_without_a_runner_the_reveal_says_real_output_is_unavailable(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    for _ in range(5):
        problem = await h.current_problem(message)
        await h.click(ANN, message, problem.answer)
        if problem.kind == "predict-output":
            assert "**Real output unavailable**\n_(no runner is configured)_" in message.text
            return
        await h.click(ANN, message, "Next ▶")
    raise AssertionError("a challenge always has a predict-output problem")
