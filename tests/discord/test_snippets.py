"""Edit & run on Discord: modals opened and submitted through discord.py's real dispatch."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.engine.clock import FakeClock
from runner.client import RunnerClient
from storage.snippets import code_hash
from tests.storage.support import query

from .fake_api import FakeDiscord, Message
from .support import ADMIN, ANN, BOB, CHANNEL_ID, EPHEMERAL, Harness, Sent, User

MODAL = 9
MODAL_SUBMIT = 5
NO_PINGS = {"parse": []}


async def revealed_code_question(h: Harness, user: User = ANN) -> tuple[Message, str]:
    """A practice run's message showing the reveal of a question with code; its code (half
    the shipped pack has code, so a run of 5 without any, about 1 in 25, starts another)."""
    for _ in range(20):
        _, message = await h.start_run(user, "practice")
        for _ in range(5):
            problem = await h.current_problem(message)
            await h.click(user, message, problem.answer)
            if problem.code:
                return message, problem.code
            if "Next ▶" not in message.labels():
                break  # the run ended without code
            await h.click(user, message, "Next ▶")
    raise AssertionError("20 practice runs without a question with code")


def modal_of(h: Harness, sent: Sent) -> dict[str, Any]:
    call = h.callback(sent)
    assert call.body["type"] == MODAL, call.body
    return call.body["data"]


def modal_code(modal: dict[str, Any]) -> str:
    return modal["components"][0]["components"][0]["value"]


async def submit(
    h: Harness, user: User, custom_id: str, code: str, message: Message | None = None
) -> Sent:
    """The modal submitted, as the gateway delivers it (type 5, the text in an action row)."""
    payload = h._base(user, MODAL_SUBMIT)
    payload["data"] = {
        "custom_id": custom_id,
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "code", "value": code}]}
        ],
    }
    if message is not None:
        payload["message"] = message.payload()
    return await h.inject(payload, message.id if message is not None else None)


def answer(h: Harness, sent: Sent) -> tuple[dict[str, Any], Message]:
    """The private message a submission got (as the callback, or filling a deferral)."""
    call = h.callback(sent)
    if call.body["type"] == 4:
        assert call.data["flags"] & EPHEMERAL
        return call.data, h.original(sent)
    edits = [c for c in h.api.for_token(sent.token) if c.method == "PATCH"]
    assert call.body["type"] == 5 and edits, call.body
    return edits[-1].body, h.original(sent)


async def test_edit_and_run_opens_a_modal_with_the_snippet(h: Harness) -> None:
    message, code = await revealed_code_question(h)
    sent = await h.click(ANN, message, "Edit & run")
    modal = modal_of(h, sent)
    assert modal["title"].startswith("Edit & run")
    assert re.fullmatch(r"lrq:rs:[0-9A-Za-z_-]+:\d+", modal["custom_id"])
    text_input = modal["components"][0]["components"][0]
    assert text_input["style"] == 2  # paragraph
    assert text_input["max_length"] == 4000
    assert text_input["value"] == code
    assert "Next ▶" in [b["label"] for row in message.components for b in row["components"]]


async def test_without_a_runner_the_submission_says_so_and_is_logged(
    h: Harness, db_path: Path
) -> None:
    message, code = await revealed_code_question(h)
    modal = modal_of(h, await h.click(ANN, message, "Edit & run"))
    sent = await submit(h, ANN, modal["custom_id"], code + "\nprint('mine')", message)
    body, shown = answer(h, sent)
    assert "no runner is configured" in shown.text
    assert body["allowed_mentions"] == NO_PINGS
    await h.redeliver(sent)  # the gateway delivers the same submission again
    assert "already received" in h.api.callbacks(sent.id)[-1].data["content"]
    rows = query(db_path, "SELECT user_id, code_sha256, status FROM snippet_runs")
    assert rows == [(str(ANN.id), code_hash(code + "\nprint('mine')"), "unavailable")]


async def test_a_too_long_snippet_is_refused_and_reopens_with_exactly_that_text(
    h: Harness, db_path: Path
) -> None:
    sent = await h.slash(ANN, "run")
    modal = modal_of(h, sent)
    assert modal["custom_id"] == "lrq:rs" and "import torch" in modal_code(modal)
    long_code = "x = 1  # é\n" * 400 + "print(x)\n"  # 4409 characters
    refused = await submit(h, ANN, "lrq:rs", long_code)
    reply = h.original(refused)
    assert "4,409 characters" in reply.text and "at most 4,000" in reply.text
    assert h.callback(refused).data["flags"] & EPHEMERAL
    reopened = await h.click(ANN, reply, "Reopen editor")
    assert modal_code(modal_of(h, reopened)) == long_code[:4000]
    assert query(db_path, "SELECT count(*) FROM snippet_runs") == [(0,)]
    # Bob's Reopen shows Bob's own (empty) draft, never Ann's text.
    bobs = await h.click_id(BOB, reply, reply.button("Reopen editor")["custom_id"])
    assert "x = 1" not in modal_code(modal_of(h, bobs))


async def test_an_admin_switches_edit_and_run_off_for_the_server(h: Harness) -> None:
    refused = await h.admin(ANN, "snippets", state="off")
    assert "Manage Server" in h.original(refused).text
    done = await h.admin(ADMIN, "snippets", state="off")
    assert "off in this workspace" in h.original(done).text
    message, _ = await revealed_code_question(h)
    click = await h.click(ANN, message, "Edit & run")
    assert h.callback(click).body["type"] == 4
    assert "switched off" in h.original(click).text
    late = await submit(h, ANN, "lrq:rs", "print(1)")  # a modal opened before the switch
    assert "switched off" in h.original(late).text
    await h.admin(ADMIN, "snippets", state="on")
    assert modal_of(h, await h.slash(ANN, "run"))["custom_id"] == "lrq:rs"


async def test_a_run_beside_the_original_output_renders_inert(
    api: FakeDiscord, db_path: Path, clock: FakeClock, runner: RunnerClient
) -> None:
    h = await Harness.start(api, db_path, clock, runner)
    try:
        message, _ = await revealed_code_question(h)
        modal = modal_of(h, await h.click(ANN, message, "Edit & run"))
        hostile = (
            "print('@everyone <@123> <@&456> https://example.com ``` **bold**')\n"
            "print('````' * 3)\nprint('x' * 5000)\nraise ValueError('```@here')\n"
        )
        sent = await submit(h, ANN, modal["custom_id"], hostile, message)
        body, shown = answer(h, sent)
        assert body["allowed_mentions"] == NO_PINGS
        description = shown.embeds[0]["description"]
        assert "**Original output**" in description
        assert "**Your run:** ❌ raised an error" in description
        assert "PyTorch 2.13.0" in description and " ms" in description
        assert "more characters not shown" in description  # 5000 x's, trimmed, and said so
        assert "ValueError" in description
        # Every ``` is one of ours: a fence opening or closing a block on its own line.
        fences = [m.start() for m in re.finditer("```", description)]
        for at in fences:
            assert description[at - 1 : at] in ("", "\n"), description[at - 10 : at + 10]
        assert len(fences) % 2 == 0
        log = query(db_path, "SELECT code_sha256, status, duration_ms > 0 FROM snippet_runs")
        assert log == [(code_hash(hostile), "error", 1)]
        assert "@everyone" not in str(query(db_path, "SELECT * FROM snippet_runs"))
    finally:
        await h.close()


async def test_hostile_snippets_from_chat_get_their_status_and_the_next_run_works(
    api: FakeDiscord, db_path: Path, clock: FakeClock, runner: RunnerClient
) -> None:
    h = await Harness.start(api, db_path, clock, runner)
    try:
        bombs = {
            "x = []\nwhile True:\n    x.append(bytearray(10**7))": "ran out of memory",
            "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n"
            "        pass": "timed out",
            "print(open('/proc/1/status').read())": "raised an error",
        }
        for code, verdict in bombs.items():
            await h.slash(ANN, "run")
            _, shown = answer(h, await submit(h, ANN, "lrq:rs", code))
            assert verdict in shown.text, shown.text
        await h.slash(ANN, "run")
        normal = "import torch\nprint(torch.ones(2) * 3)"
        _, shown = answer(h, await submit(h, ANN, "lrq:rs", normal))
        assert "ran fine" in shown.text and "tensor([3., 3.])" in shown.text
        statuses = query(db_path, "SELECT status FROM snippet_runs ORDER BY id")
        assert statuses == [("memory",), ("timeout",), ("error",), ("ok",)]
    finally:
        await h.close()


async def test_a_closed_live_question_offers_edit_and_run(h: Harness, api: FakeDiscord) -> None:
    problem = next(p for p in h.service.pack().problems if p.kind == "predict-output")
    options = [{"type": 3, "name": "problem", "value": problem.id}]
    await h.slash(ADMIN, "post", group="lrquiz-admin", options=options)
    message = api.channel_messages(CHANNEL_ID)[-1]
    assert "Edit & run" not in str(message.components)  # not while it is open
    h.clock.advance(problem.time_limit_s + 1)
    assert await h.bot.conversation.watcher.sweep() == 1
    sent = await h.click(BOB, message, "Edit & run")
    modal = modal_of(h, sent)
    assert modal["custom_id"] == "lrq:rs" and modal_code(modal) == problem.code
    assert "Live question closed" in message.text  # the public post stays as it was
