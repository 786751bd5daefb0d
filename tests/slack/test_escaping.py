"""Text escaping and real runner output: PyTorch's `<class 'torch.Tensor'>` must show intact."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from bot.slack import render as blocks
from problems.model import Pack, Problem, Solution
from runner.client import RunnerClient

from .conftest import RunnerProcess
from .fake_slack import FakeSlack
from .support import RUNNING, Harness, action_body, all_text, button, make_bot

CODE = """import torch
x = torch.zeros(2)
# a ``` fence in a comment must not end the code block
print(type(x))
print("a & b", 1 < 2, 3 > 2)
"""
OUTPUT = "&lt;class 'torch.Tensor'&gt;\na &amp; b True True"

TRICKY = Pack(
    id="tricky",
    title="Tricky <text> & friends",
    summary="Escaping <matters> & so on.",
    problems=(
        Problem(
            id="type-of-zeros",
            kind="predict-output",
            difficulty="easy",
            prompt="What does this print when 1 < 2 & 3 > 2?",
            code=CODE,
            choices={
                "A": "<class 'torch.Tensor'> then a & b True True",
                "B": "<class 'torch.FloatTensor'> then a & b True True",
                "C": "tensor([0., 0.])",
                "D": "<built-in method zeros>",
            },
            answer="A",
            hint="type() of a tensor is the Python class, <class 'torch.Tensor'>.",
            solution=Solution(
                steps=("type(x) is torch.Tensor, printed as <class 'torch.Tensor'>.",),
                final="A & nothing else",
                quick_check="1 < 2 and 3 > 2 are both True",
                common_mistakes=("Confusing x.type() -> 'torch.FloatTensor' with type(x)",),
            ),
        ),
    ),
)

# Anything that looks like a Slack control sequence must be one we built on purpose.
RAW_CONTROL = re.compile(r"<(?!!date\^|@U)")


def assert_escaped(text: str) -> None:
    assert not RAW_CONTROL.search(text), text
    assert "&amp;lt;" not in text  # escaped once, not twice


@pytest.fixture
async def tricky(
    db_path: Path, fake: FakeSlack, clock: FakeClock, runner_process: RunnerProcess
) -> AsyncIterator[Harness]:
    async with RunnerClient(runner_process.url, runner_process.token) as runner:
        bot = await make_bot(db_path, fake, clock, [TRICKY], runner=runner, admins=["UADMIN"])
        harness = Harness(fake, bot, clock)
        yield harness
        await harness.close()


async def test_question_and_reveal_escape_everything(tricky: Harness) -> None:
    question = await tricky.command("learn")
    text = all_text(question)
    assert_escaped(text)
    assert "*Tricky &lt;text&gt; &amp; friends*" in text
    assert "1 &lt; 2 &amp; 3 &gt; 2" in text
    assert "*A.* &lt;class 'torch.Tensor'&gt; then a &amp; b True True" in text
    assert "```\nimport torch\n" in text
    assert "# a `\u200b`\u200b` fence" in text  # defused, the block stays one block

    hinted = await tricky.press(question, "lrquiz_hint")
    assert "&lt;class 'torch.Tensor'&gt;." in all_text(hinted)

    reveal = await tricky.press(hinted, "lrquiz_answer_A")
    text = all_text(reveal)
    assert_escaped(text)
    assert "*Real output (PyTorch 2.13.0)*" in text
    assert f"```\n{OUTPUT}\n```" in text
    assert "*Final answer:* A &amp; nothing else" in text
    assert "x.type() -&gt; 'torch.FloatTensor'" in text
    assert "Learn finished" in text  # one-problem pack: the summary follows


async def test_live_post_and_close_escape_everything(tricky: Harness) -> None:
    await tricky.command("admin post type-of-zeros now", user="UADMIN")
    posted = tricky.fake.of("chat.postMessage")[-1].args
    assert_escaped(all_text(posted))
    tricky.clock.advance(121)
    await tricky.bot.watcher.sweep()
    update = (await tricky.fake.wait(lambda: tricky.fake.of("chat.update")))[0].args
    text = all_text(update)
    assert_escaped(text)
    assert f"```\n{OUTPUT}\n```" in text


def test_escape_helpers() -> None:
    assert blocks.esc("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"
    (only,) = blocks.code_sections("x = '<>'\n")
    assert only["text"]["text"] == "```\nx = '&lt;&gt;'\n```"
    token = blocks.date_token(1_780_000_120)
    assert token.startswith("<!date^1780000120^{time_secs}|") and token.endswith(" UTC>")


def test_long_text_is_split_under_slacks_limit() -> None:
    long_code = "\n".join(f"print({i!r} * 40)  # <{i}>" for i in range(400))
    pieces = blocks.code_sections(long_code)
    assert len(pieces) > 1
    for piece in pieces:
        text = piece["text"]["text"]
        assert len(text) <= blocks.SECTION_LIMIT
        assert text.startswith("```\n") and text.endswith("\n```")
    joined = "\n".join(p["text"]["text"][4:-4] for p in pieces)
    assert joined == blocks.esc(long_code)
    assert all(len(s["text"]["text"]) <= 3000 for s in blocks.sections("word " * 2000))


class HeldRunner:
    """A runner double that answers only when released, to show ack() never waits for it."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0

    async def run(self, code: str, *, timeout_s: float | None = None, seed: int | None = None):
        self.calls += 1
        await self.release.wait()
        raise RuntimeError("runner went away")


async def test_the_reveal_does_not_wait_for_the_runner(
    db_path: Path, fake: FakeSlack, clock: FakeClock
) -> None:
    runner = HeldRunner()
    harness = Harness(fake, await make_bot(db_path, fake, clock, [TRICKY], runner=runner), clock)
    try:
        question = await harness.command("practice")
        url, key = fake.response_url()
        value = button(question, "lrquiz_answer_A")["value"]
        started = time.monotonic()
        response = await harness.dispatch(action_body("lrquiz_answer_A", value, url))
        assert response.status == 200 and time.monotonic() - started < 1.0
        # The reveal is there at once, saying the real output is on its way...
        shown = all_text(await fake.response(key))
        assert "✅ Correct!" in shown and RUNNING in shown
        assert runner.calls == 1
        runner.release.set()  # ...and is replaced by the one with it once the runner answers
        text = all_text(await fake.response(key, count=2))
        assert "*Real output unavailable*" in text and "✅ Correct!" in text
        # What went wrong inside the runner (hosts, ports, errors) is for the log only.
        assert "_(the runner is not reachable right now)_" in text
        assert "went away" not in text and "127.0.0.1" not in text
    finally:
        await harness.close()
