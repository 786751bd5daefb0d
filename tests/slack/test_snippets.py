"""Edit & run on Slack: views.open with the click's trigger_id, and signed view submissions
through Bolt's real dispatch (errors keep the modal and its text)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.engine.clock import FakeClock
from problems.model import Pack
from runner.client import RunnerClient
from storage.snippets import code_hash
from tests.storage.support import query

from .conftest import RunnerProcess
from .fake_slack import FakeSlack
from .support import (
    TEAM,
    Harness,
    action_body,
    action_ids,
    all_text,
    button,
    command_body,
    make_bot,
)

OWN = "(the question's code)"


def submission_body(code: str, meta: dict[str, Any], user: str = "U1", name: str = "ann") -> str:
    """A view_submission payload as Slack posts it when the learner presses Run."""
    payload = {
        "type": "view_submission",
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": "t-submit",
        "team": {"id": TEAM, "domain": "lrquiz-test"},
        "user": {"id": user, "username": name, "name": name, "team_id": TEAM},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "lrquiz_snippet",
            "private_metadata": json.dumps(meta),
            "state": {"values": {"code": {"code": {"type": "plain_text_input", "value": code}}}},
        },
    }
    return urlencode({"payload": json.dumps(payload)})


async def press_edit(slack: Harness, message: dict[str, Any]) -> None:
    """Click Edit & run: the answer is a modal (views.open), not a response_url post."""
    url, _ = slack.fake.response_url()
    value = button(message, "lrquiz_edit")["value"]
    response = await slack.dispatch(action_body("lrquiz_edit", value, url))
    assert response.status == 200, response.body


async def open_run(slack: Harness, **who: Any) -> dict[str, Any]:
    """`/lrquiz run`: answered with a modal, and the view it opened."""
    url, _ = slack.fake.response_url()
    before = len(slack.fake.of("views.open"))
    response = await slack.dispatch(command_body("run", url, **who))
    assert response.status == 200, response.body
    return await opened_view(slack, before + 1)


async def opened_view(slack: Harness, count: int = 1) -> dict[str, Any]:
    await slack.fake.wait(lambda: len(slack.fake.of("views.open")) >= count)
    call = slack.fake.of("views.open")[count - 1]
    assert call.args["trigger_id"].startswith("t")
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def code_input(view: dict[str, Any]) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == "code"]
    assert block["type"] == "input" and block is view["blocks"][-1]
    return block["element"]


def view_code(view: dict[str, Any]) -> str:
    return code_input(view)["initial_value"]


async def submit(slack: Harness, view: dict[str, Any], code: str, **who: Any) -> dict[str, Any]:
    """Press Run: the HTTP answer to the submission (empty, or the errors to show)."""
    meta = json.loads(view["private_metadata"])
    response = await slack.dispatch(submission_body(code, meta, **who))
    assert response.status == 200, response.body
    return json.loads(response.body) if response.body else {}


def accepted(answer: dict[str, Any], code: str) -> bool:
    """The submission's answer: the modal kept, with the text, saying it runs."""
    view = answer["view"]
    return (
        answer["response_action"] == "update"
        and view_code(view).startswith(code[:3000])
        and "Running it in PyTorch" in all_text(view)
    )


async def result(slack: Harness, count: int = 1) -> dict[str, Any]:
    """The `count`-th result: the modal updated in place (views.update)."""
    await slack.fake.wait(lambda: len(slack.fake.of("views.update")) >= count)
    call = slack.fake.of("views.update")[count - 1].args
    assert call["view_id"] == "V1"
    view = call["view"]
    return json.loads(view) if isinstance(view, str) else view


async def code_reveal(slack: Harness) -> tuple[dict[str, Any], str]:
    """A practice run's reveal of a question with code, and its code (half the shipped pack
    has code, so a run of 5 without any, about 1 in 25, starts another)."""
    for _ in range(20):
        question = await slack.command("practice")
        for _ in range(5):
            session = await slack.session_of(question)
            assert session.current is not None
            problem = slack.service.pack(session.pack_id).problem(session.current.problem_id)
            reveal = await slack.press(question, f"lrquiz_answer_{problem.answer}")
            if problem.code:
                return reveal, problem.code
            if session.current.index == len(session.problem_ids) - 1:
                break  # the run ended without code
            question = await slack.press(reveal, "lrquiz_next")
    raise AssertionError("20 practice runs without a question with code")


async def test_edit_and_run_opens_a_modal_prefilled_with_the_snippet(slack: Harness) -> None:
    reveal, code = await code_reveal(slack)
    assert action_ids(reveal) == ["lrquiz_next", "lrquiz_edit"]
    await press_edit(slack, reveal)
    view = await opened_view(slack)
    assert view["callback_id"] == "lrquiz_snippet" and view["type"] == "modal"
    element = code_input(view)
    assert element["multiline"] is True and element["initial_value"] == code
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"])["c"] == "C1"


async def test_a_refused_submission_keeps_the_modal_and_its_text(
    slack: Harness, db_path: Path
) -> None:
    view = await open_run(slack)
    assert "import torch" in view_code(view)
    answer = await submit(slack, view, "   \n")
    assert answer["response_action"] == "errors"
    assert "no code to run" in answer["errors"]["code"]
    too_long = "y = 2\n" * 700  # 4200 characters: over the 4000 limit
    answer = await submit(slack, view, too_long)
    assert "4,200 characters" in answer["errors"]["code"]
    assert slack.fake.of("chat.postEphemeral") == []  # nothing else was said
    assert query(db_path, "SELECT count(*) FROM snippet_runs") == [(0,)]


async def test_limits_and_the_admin_switch_are_said_in_the_modal(
    slack: Harness, db_path: Path, clock: FakeClock
) -> None:
    view = await open_run(slack)
    for _ in range(10):  # no runner here: each run says so, and is logged
        assert accepted(await submit(slack, view, "print(1)"), "print(1)")
    await result(slack, 10)
    # Runs the runner never answered do not count; ten real ones in the log do.
    assert query(db_path, "SELECT count(*) FROM snippet_runs WHERE status = 'unavailable'") == [
        (10,)
    ]
    as_if_they_ran = "UPDATE snippet_runs SET status = 'ok'"
    await slack.service.db.transact(lambda conn: conn.execute(as_if_they_ran))
    answer = await submit(slack, view, "print(2)")
    assert "used your 10 runs per 10 minutes" in answer["errors"]["code"]
    assert "next run is allowed in 10 min" in answer["errors"]["code"]
    clock.advance(601)
    assert accepted(await submit(slack, view, "print(3)"), "print(3)")

    off = await slack.admin("snippets off")
    assert "off in this workspace" in all_text(off)
    answer = await submit(slack, view, "print(4)")
    assert "switched off" in answer["errors"]["code"]
    denied = await slack.command("admin snippets on")
    assert "for workspace admins" in all_text(denied)


async def test_without_a_runner_the_result_says_so_privately(slack: Harness) -> None:
    reveal, code = await code_reveal(slack)
    await press_edit(slack, reveal)
    view = await opened_view(slack)
    assert accepted(await submit(slack, view, code), code)
    message = await result(slack)
    assert view_code(message) == code  # the text stays in the modal, ready to run again
    assert message["submit"]["text"] == "Run again"
    assert json.loads(message["private_metadata"])["c"] == "C1"
    assert slack.fake.of("chat.postEphemeral") == []
    assert "no runner is configured" in all_text(message)
    assert "Original output unavailable" in all_text(message)


@pytest.fixture
async def with_runner(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack, runner_process: RunnerProcess
) -> AsyncIterator[Harness]:
    async with RunnerClient(runner_process.url, runner_process.token) as runner:
        harness = Harness(fake, await make_bot(db_path, fake, clock, [pack], runner), clock)
        yield harness
        await harness.close()


async def test_output_with_mentions_and_markup_renders_inert(
    with_runner: Harness, db_path: Path
) -> None:
    slack = with_runner
    reveal, _ = await code_reveal(slack)
    await press_edit(slack, reveal)
    view = await opened_view(slack)
    hostile = (
        "print('<!channel> <!here> <@U999> <https://evil.example|click> & ``` *bold*')\n"
        "print('````' * 2)\n"
        "import torch\nprint(torch.ones(1))\n"
    )
    assert accepted(await submit(slack, view, hostile), hostile)
    message = await result(slack)
    text = all_text(message)
    assert "*Your run:* ✅ ran fine" in text and " ms · PyTorch 2.13.0" in text
    assert OWN in text  # the original output beside it
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U999&gt;" in text
    assert "&lt;https://evil.example|click&gt; &amp;" in text
    for token in ("<!channel>", "<!here>", "<@U999>", "<https://"):
        assert token not in text
    for block in message["blocks"]:
        body = block.get("text", {}).get("text", "")
        if body.startswith("```"):
            assert body.count("```") == 2 and body.endswith("```"), body
    [(sha, status)] = query(db_path, "SELECT code_sha256, status FROM snippet_runs")
    assert (sha, status) == (code_hash(hostile), "ok")


async def test_the_runner_gets_a_per_user_fairness_key(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack, runner_process: RunnerProcess
) -> None:
    """What the runner is asked for, seen from the runner client's side."""
    sent: list[str | None] = []

    class Recording(RunnerClient):
        async def run(self, code: str, **options: Any) -> Any:
            sent.append(options.get("client"))
            return await super().run(code, **options)

    async with Recording(runner_process.url, runner_process.token) as runner:
        slack = Harness(fake, await make_bot(db_path, fake, clock, [pack], runner), clock)
        try:
            view = await open_run(slack, user="U456")
            assert accepted(await submit(slack, view, "print('hi')", user="U456"), "print")
            assert "hi" in all_text(await result(slack))
        finally:
            await slack.close()
    assert sent == [f"slack:{TEAM}:U456"]


async def test_a_closed_live_question_offers_edit_and_run(slack: Harness, pack: Pack) -> None:
    problem = next(p for p in pack.problems if p.kind == "predict-output")
    await slack.admin(f"post {problem.id} now")
    [posted] = await slack.fake.wait(lambda: slack.fake.of("chat.postMessage"))
    assert "lrquiz_live_edit" not in action_ids(posted.args)  # not while it is open
    slack.clock.advance(problem.time_limit_s + 1)
    assert await slack.bot.watcher.sweep() == 1
    [closed] = await slack.fake.wait(lambda: slack.fake.of("chat.update"))
    assert action_ids(closed.args) == ["lrquiz_live_edit"]
    url, _ = slack.fake.response_url()
    value = button(closed.args, "lrquiz_live_edit")["value"]
    response = await slack.dispatch(action_body("lrquiz_live_edit", value, url, ephemeral=False))
    assert response.status == 200
    view = await opened_view(slack)
    assert view_code(view) == problem.code and "s" not in json.loads(view["private_metadata"])


async def test_a_modal_closed_meanwhile_gets_its_result_privately(slack: Harness) -> None:
    """views.update refused (the learner closed the modal): a private message instead,
    without link or media previews."""
    slack.fake.errors["views.update"] = "not_found"
    view = await open_run(slack)
    assert accepted(await submit(slack, view, "print(1)"), "print(1)")
    [posted] = await slack.fake.wait(lambda: slack.fake.of("chat.postEphemeral"))
    message = posted.args
    assert message["user"] == "U1" and message["channel"] == "C1"
    assert message["unfurl_links"] in (False, "0") and message["unfurl_media"] in (False, "0")
    assert "no runner is configured here" in all_text(message)
    assert "lrquiz_reopen" in action_ids(message)  # Edit again: the modal with that text
