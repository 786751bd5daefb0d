"""State survives restarts: old buttons work on a new process, and deadlines that passed
while the bot was down are closed (and their messages edited) by the start-up sweep."""

from __future__ import annotations

import json
from pathlib import Path

from bot.conversation.actions import Actor, Envelope, PostLive
from bot.engine.clock import FakeClock
from storage.refs import MessageRef

from .conftest import T0
from .fake_api import APP_ID, GUILD_ID, FakeDiscord, Message, Pending
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


async def test_an_admin_command_interrupted_after_its_acknowledgement_is_finished_on_restart(
    api: FakeDiscord, db_path: Path, clock: FakeClock
) -> None:
    first = await Harness.start(api, db_path, clock)
    problem = problem_of_kind(first, "conceptual")
    token = "tok-interrupted"
    # Discord shows "thinking…" for the command: the bot had deferred it when it died.
    thinking = Message(api.new_id(), CHANNEL_ID, flags=64)
    api.messages[thinking.id] = thinking
    api.interactions[token] = Pending(42, CHANNEL_ID, None, original=thinking.id)
    reply = MessageRef(
        str(CHANNEL_ID), "@original", {"token": token, "application_id": str(APP_ID), "at": T0}
    )
    actor = Actor(
        "discord", str(GUILD_ID), str(ADMIN.id), "Ada", channel=str(CHANNEL_ID), is_admin=True
    )
    envelope = Envelope(actor, PostLive(None, problem.id), "42", reply)
    await first.bot.conversation.accept(envelope)  # recorded; then the process is killed
    await first.close()
    assert api.channel_posts(CHANNEL_ID) == []

    second = await Harness.start(api, db_path, clock)  # setup_hook finishes it
    await second.close()
    [posted] = api.channel_posts(CHANNEL_ID)
    assert problem.prompt.strip()[:40] in json.dumps(posted.body, ensure_ascii=False)
    assert thinking.content.startswith(f"📣 Posted live question `{problem.id}`")

    third = await Harness.start(api, db_path, clock)  # finished once, never again
    await third.close()
    assert len(api.channel_posts(CHANNEL_ID)) == 1
