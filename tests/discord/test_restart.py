"""State survives restarts: old buttons work on a new process, and deadlines that passed
while the bot was down are closed (and their messages edited) by the start-up sweep."""

from __future__ import annotations

from pathlib import Path

from bot.engine.clock import FakeClock

from .fake_api import FakeDiscord
from .support import ADMIN, ANN, BOB, CHANNEL_ID, Harness, wrong_letters
from .test_live import post, problem_of_kind


async def test_restart_between_posting_a_question_and_clicking_its_buttons(
    api: FakeDiscord, db_path: Path, clock: FakeClock
) -> None:
    first = await Harness.start(api, db_path, clock)
    live_problem = problem_of_kind(first, "conceptual")
    await post(first, live_problem, ADMIN)
    live = api.channel_messages(CHANNEL_ID)[-1]
    _, run = await first.start_run(ANN, "challenge")
    run_problem = await first.current_problem(run)
    wrong = wrong_letters(run_problem)[0]
    await first.click(ANN, run, wrong)
    await first.click(BOB, live, live_problem.answer)
    await first.close()  # the process dies; Discord keeps showing both messages

    second = await Harness.start(api, db_path, clock)
    assert second.bot is not first.bot
    await second.click(ANN, run, "Hint")
    assert f"1 of 2 left · tried {wrong}" in run.text  # the attempt made before is kept
    locked = await second.click(ANN, live, wrong_letters(live_problem)[0])
    assert "🔒 You locked in" in second.note(locked)
    again = await second.click(BOB, live, live_problem.answer)
    assert "You already locked in" in second.note(again)  # BOB's answer survived too
    await second.click(ANN, run, run_problem.answer)
    assert "✅ Correct!" in run.text
    await second.click(ANN, run, "Next ▶")
    assert "Question 2/5" in run.text
    await second.close()

    clock.advance(max(live_problem.time_limit_s, 120) + 60)  # both deadlines pass while down
    third = await Harness.start(api, db_path, clock)  # setup_hook sweeps before any click
    try:
        assert "Live question closed" in live.text
        assert f"<@{BOB.id}> was first · 1/2 right" in live.text
        assert live.components == []
        assert "Question 2/5 · ⏰ Time's up!" in run.text  # edited with the stored token
        await third.click(ANN, run, "Next ▶")
        assert "Question 3/5" in run.text
    finally:
        await third.close()
