"""Faults where they happen: redelivered interactions, double clicks, payloads of an
unexpected shape, a slow runner, and a database that refuses writes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import core
from bot.conversation.screens import RUNNING
from bot.engine.clock import FakeClock
from runner.client import RunnerClient

from .fake_api import FakeDiscord
from .support import ANN, BOB, Harness, wrong_letters


async def _attempts(h: Harness, session_id: str) -> tuple[str, ...]:
    session = await h.service.session(session_id)
    return session.questions[0].attempts


def _session_of(message: Any) -> str:
    return message.custom_ids()[0].split(":")[2]


async def test_a_redelivered_click_changes_nothing_and_gets_the_same_answer(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    wrong = wrong_letters(problem)[0]
    click = await h.click(ANN, message, wrong)
    first = h.api.callbacks(click.id)[0]
    assert len(await _attempts(h, _session_of(message))) == 1

    await h.redeliver(click)
    second = h.api.callbacks(click.id)[1]
    assert len(await _attempts(h, _session_of(message))) == 1  # not a second attempt
    assert second.body == first.body  # the same note, the same question
    assert f"❌ **{wrong}** is not it. 1 attempt left." in message.content


async def test_a_redelivered_command_starts_one_run(h: Harness) -> None:
    sent = await h.slash(ANN, "challenge")
    await h.redeliver(sent)
    first, second = h.api.callbacks(sent.id)
    assert second.body == first.body  # the same run's first question
    count = await h.service.db.run(
        lambda conn: conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    )
    assert count == 1


async def test_a_double_click_on_the_same_wrong_letter_costs_no_attempt(h: Harness) -> None:
    _, message = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(message)
    wrong = wrong_letters(problem)[0]
    before = type(message)(message.id, message.channel_id, components=message.components)
    await h.click(ANN, message, wrong)
    assert message.button(wrong)["disabled"] is True  # greyed out once tried
    again = await h.click(ANN, before, wrong)  # a client still showing it enabled
    assert h.note(again) == f"You already tried {wrong} on this question; pick another letter."
    assert "1 of 2 left" in message.text
    assert message.button(wrong)["disabled"] is True
    assert len(await _attempts(h, _session_of(message))) == 1


async def test_an_interaction_of_an_unexpected_shape_is_skipped_and_the_bot_goes_on(
    h: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    _, message = await h.start_run(ANN, "challenge")
    # A component without custom_id: once a KeyError inside discord.py that ended the bot.
    no_id = h._base(ANN, 3, message.channel_id)
    no_id["data"] = {"component_type": 2}
    no_id["message"] = message.payload()
    sent = await h.inject(no_id, message.id)
    assert h.note(sent) == core.GONE  # answered at once, like any button we cannot read

    garbled = h._base(BOB, 5)  # a modal submit without its data: discord.py cannot parse it
    with caplog.at_level(logging.WARNING, logger="bot.discord.client"):
        h.bot._connection.parsers["INTERACTION_CREATE"](garbled)  # does not raise
    assert "skipped an interaction of an unexpected shape" in caplog.text

    help_ = await h.slash(BOB, "help")  # the next interaction works
    assert "/lrquiz challenge" in h.callback(help_).data["embeds"][0]["description"]
    problem = await h.current_problem(message)
    await h.click(ANN, message, problem.answer)
    assert "✅ Correct!" in message.text


class SlowRunner:
    """The real runner behind a slow link: every answer arrives `delay_s` late."""

    def __init__(self, runner: RunnerClient, delay_s: float) -> None:
        self.runner = runner
        self.delay_s = delay_s

    async def run(self, code: str, **options: Any) -> Any:
        await asyncio.sleep(self.delay_s)
        return await self.runner.run(code, **options)


async def test_a_reveal_does_not_wait_for_a_slow_runner(
    api: FakeDiscord, db_path: Path, clock: FakeClock, runner: RunnerClient
) -> None:
    await runner.run("import torch")  # warm: only the link is slow, not PyTorch's start
    h = await Harness.start(api, db_path, clock, SlowRunner(runner, 1.5))
    try:
        _, message = await h.start_run(ANN, "challenge")
        while (problem := await h.current_problem(message)).kind != "predict-output":
            await h.click(ANN, message, problem.answer)
            await h.click(ANN, message, "Next ▶")
        click = await h.click(ANN, message, problem.answer)
        shown = h.callback(click)
        assert shown.body["type"] == 7  # the click itself is answered with the reveal
        description = shown.data["embeds"][0]["description"]
        assert RUNNING in description  # the words every platform uses
        assert f"Answer: {problem.answer}." in description
        [edit] = [c for c in api.for_token(click.token) if c.method == "PATCH"]
        assert edit.path.endswith("/messages/@original")
        assert "Real output (PyTorch 2.13.0)" in message.text
        assert RUNNING not in message.text
        if "Challenge finished" not in message.text:  # unless it was the last question
            message.button("Next ▶")
    finally:
        await h.close()


async def test_when_the_edit_with_the_output_fails_it_arrives_as_a_new_message(
    api: FakeDiscord, db_path: Path, clock: FakeClock, runner: RunnerClient
) -> None:
    await runner.run("import torch")
    h = await Harness.start(api, db_path, clock, SlowRunner(runner, 1.0))
    try:
        _, message = await h.start_run(ANN, "challenge")
        while (problem := await h.current_problem(message)).kind != "predict-output":
            await h.click(ANN, message, problem.answer)
            await h.click(ANN, message, "Next ▶")
        api.refuse_token_edits = 403
        click = await h.click(ANN, message, problem.answer)
        assert RUNNING in message.text  # the edit with the output was refused
        [followup] = [c for c in api.for_token(click.token) if c.method == "POST"]
        assert followup.body["flags"] & 64  # so the player gets it privately instead
        assert "Real output (PyTorch 2.13.0)" in followup.body["embeds"][0]["description"]
    finally:
        await h.close()


REFUSALS = {
    "read-only": ("PRAGMA query_only = ON", "the database is read-only"),
    "full disk": ("", "the database's disk is full"),
}


@pytest.mark.parametrize("fault", list(REFUSALS))
async def test_reads_work_when_the_database_refuses_writes(h: Harness, fault: str) -> None:
    _, run = await h.start_run(ANN, "challenge")
    problem = await h.current_problem(run)
    await h.click(ANN, run, problem.answer)
    pragma, reason = REFUSALS[fault]
    if fault == "full disk":  # exactly as many pages as it has: the next new page fails
        pages = await h.service.db.run(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
        pragma = f"PRAGMA max_page_count = {pages}"
    await h.service.db.run(lambda c: c.execute(pragma))

    board = h.callback(await h.slash(BOB, "leaderboard")).data["embeds"][0]
    assert f"🥇 <@{ANN.id}> — " in board["description"]
    mine = h.callback(await h.slash(ANN, "stats")).data["embeds"][0]
    assert mine["title"] == "📊 Stats for Ann"
    assert "**Accuracy:** 1/1 correct (100%)" in mine["description"]
    newcomer = h.callback(await h.slash(BOB, "badges")).data["embeds"][0]
    assert newcomer["title"] == "🎖️ Your badges"
    assert (
        "/lrquiz challenge"
        in h.callback(await h.slash(BOB, "help")).data["embeds"][0]["description"]
    )

    for _ in range(50 if fault == "full disk" else 1):  # fill what free pages remain
        refused = await h.slash(BOB, "challenge")
        if reason in (h.note(refused) or ""):
            break
    assert h.note(refused).startswith(f"⚠️ I couldn't save that: {reason}")
    assert "The leaderboard and stats still work" in h.note(refused)


async def test_every_action_is_committed_before_discord_is_answered(
    h: Harness, db_path: Path
) -> None:
    """What a second connection (a restarted process) finds when Discord gets its answer."""
    found: dict[int, tuple[int, int]] = {}

    def look(interaction_id: int) -> None:
        with contextlib.closing(sqlite3.connect(db_path)) as conn:
            recorded = conn.execute(
                "SELECT COUNT(*) FROM platform_actions WHERE key = ? AND outcome IS NOT NULL",
                (str(interaction_id),),
            ).fetchone()[0]
            attempts = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        found[interaction_id] = (recorded, attempts)

    h.api.on_callback = look
    start, message = await h.start_run(ANN, "challenge")
    assert found[start.id] == (1, 0)  # the run exists before its first question is shown
    problem = await h.current_problem(message)
    click = await h.click(ANN, message, wrong_letters(problem)[0])
    assert found[click.id] == (1, 1)  # the attempt is stored before the click is answered
