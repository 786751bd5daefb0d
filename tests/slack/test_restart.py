"""State survives restarts: old buttons work on a new app; missed deadlines close at start-up."""

from __future__ import annotations

from pathlib import Path

from bot.engine.clock import FakeClock
from problems.model import Pack

from .fake_slack import FakeSlack
from .support import Harness, all_text, make_bot, reveal_ids


async def test_old_buttons_work_after_a_restart(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> None:
    first = Harness(fake, await make_bot(db_path, fake, clock, [pack], admins=["UADMIN"]), clock)
    question = await first.command("challenge")
    letter = await first.right_letter(question)
    await first.command("admin post challenge-predict-group-lrs now", user="UADMIN")
    live_id = fake.of("chat.postMessage")[-1].args["blocks"][-1]["elements"][0]["value"]
    await first.close()

    second = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    try:
        await second.bot.start()
        reveal = await second.press(question, f"lrquiz_answer_{letter}")
        assert "✅ Correct!" in all_text(reveal) and reveal_ids(reveal) == ["lrquiz_next"]
        right = pack.problem("challenge-predict-group-lrs").answer
        locked = await second.click(f"lrquiz_live_{right}", live_id, user="U2")
        assert f"🔒 You locked in *{right}*" in all_text(locked)

        clock.advance(121)
        assert await second.bot.watcher.sweep() == 1
        update = (await fake.wait(lambda: fake.of("chat.update")))[0].args
        assert "🥇 First right answer: <@U2>" in all_text(update)
    finally:
        await second.close()


async def test_deadlines_missed_while_down_close_at_start_up(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> None:
    first = Harness(fake, await make_bot(db_path, fake, clock, [pack], admins=["UADMIN"]), clock)
    await first.command("challenge")
    run_url_key = fake.responses[-1].key
    await first.command("admin post now", user="UADMIN")
    posted = fake.of("chat.postMessage")[-1].args
    await first.close()

    clock.advance(3600)  # the app was down for an hour
    second = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    try:
        await second.bot.start()  # sweeps before serving anything
        update = (await fake.wait(lambda: fake.of("chat.update")))[0].args
        assert update["ts"] == "1700000000.000001"
        assert "Live question (closed)" in all_text(update)
        assert "Nobody answered" in all_text(update)
        timed_out = await fake.response(run_url_key, count=2)
        assert timed_out["replace_original"] is True
        assert "⏰ Time's up!" in all_text(timed_out)
        assert posted["channel"] == update["channel"]
    finally:
        await second.close()


async def test_background_watcher_closes_at_the_deadline(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> None:
    """Not a manual sweep: the running watcher wakes (poked) and closes what is due."""
    harness = Harness(fake, await make_bot(db_path, fake, clock, [pack], admins=["UADMIN"]), clock)
    try:
        await harness.bot.start()
        await harness.command("admin post now", user="UADMIN")  # posting pokes the watcher
        ts = fake.of("chat.postMessage")[-1].args
        clock.advance(121)
        harness.bot.watcher.poke()
        update = (await fake.wait(lambda: fake.of("chat.update"), timeout=10))[0].args
        assert "Live question (closed)" in all_text(update)
        assert ts["channel"] == update["channel"]
    finally:
        await harness.close()
