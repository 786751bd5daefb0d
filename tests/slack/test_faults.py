"""Faults handled where they happen: malformed requests, redeliveries, double clicks, and a
response_url that keeps failing."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import pytest

from tests.storage.support import scalar

from .support import (
    Harness,
    action_body,
    action_ids,
    action_payload,
    all_text,
    button,
    command_body,
    command_fields,
    signed_headers,
)


@pytest.fixture
async def events(slack: Harness) -> AsyncIterator[str]:
    web_runner, port = await slack.bot.serve_http("127.0.0.1", 0)
    yield f"http://127.0.0.1:{port}/slack/events"
    await web_runner.cleanup()


def _payload(**changes: object) -> str:
    payload = action_payload("lrquiz_next", "abc", "http://127.0.0.1:1/r")
    for key, value in changes.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = value
    return urlencode({"payload": json.dumps(payload)})


def _command(**changes: object) -> str:
    fields = command_fields("help", "http://127.0.0.1:1/r")
    for key, value in changes.items():
        fields.pop(key) if value is None else fields.__setitem__(key, value)  # type: ignore[func-returns-value]
    return urlencode(fields)


# Each is signed correctly: only its shape is wrong.
MALFORMED = {
    "payload is not JSON": urlencode({"payload": "{not json"}),
    "payload is a list": urlencode({"payload": "[1, 2]"}),
    "click without a user": _payload(user=None),
    "click with a user without id": _payload(user={"name": "x"}),
    "click without actions": _payload(actions=None),
    "click with empty actions": _payload(actions=[]),
    "action without action_id": _payload(actions=[{"value": "x"}]),
    "command without a user": _command(user_id=None),
    "command without a team": _command(team_id=None),
    "neither command nor payload": urlencode({"hello": "world"}),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_signed_requests_are_400(slack: Harness, events: str, body: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(events, data=body, headers=signed_headers(body)) as response,
    ):
        assert response.status == 400
        assert "error" in await response.json()
    assert slack.fake.of("chat.postMessage") == []


UNSIGNED = {
    "no headers": {"content-type": "application/x-www-form-urlencoded"},
    "timestamp not a number": {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": "soon",
        "x-slack-signature": "v0=00",
    },
    "signature for another body": signed_headers("other"),
}


@pytest.mark.parametrize("headers", UNSIGNED.values(), ids=UNSIGNED.keys())
async def test_unsigned_or_odd_requests_are_401_before_any_parsing(
    slack: Harness, events: str, headers: dict[str, str]
) -> None:
    body = urlencode({"payload": "{not json"})
    async with (
        aiohttp.ClientSession() as http,
        http.post(events, data=body, headers=headers) as response,
    ):
        assert response.status == 401


async def test_the_same_signed_click_delivered_twice_is_applied_once(
    slack: Harness, db_path
) -> None:
    question = await slack.command("challenge")
    letter = await slack.wrong_letter(question)
    value = button(question, f"lrquiz_answer_{letter}")["value"]
    url, key = slack.fake.response_url()
    body = action_body(f"lrquiz_answer_{letter}", value, url)
    headers = signed_headers(body)
    for _ in range(2):  # Slack (or a proxy) delivers the very same request again
        assert (await slack.dispatch(body, headers)).status == 200
    first, second = await slack.fake.response(key), await slack.fake.response(key, count=2)
    assert all_text(first) == all_text(second)
    assert scalar(db_path, "SELECT COUNT(*) FROM attempts") == 1
    session = await slack.session_of(question)
    assert session.current.attempts == (letter,)  # type: ignore[union-attr]


async def test_a_double_click_on_a_wrong_letter_costs_no_attempt(slack: Harness) -> None:
    question = await slack.command("challenge")
    letter = await slack.wrong_letter(question)
    once = await slack.press(question, f"lrquiz_answer_{letter}")
    twice = await slack.press(once, f"lrquiz_answer_{letter}")
    assert f"You already tried {letter}" in all_text(twice)
    assert "1 attempt left" in all_text(twice)
    assert button(twice, f"lrquiz_answer_{letter}")["text"]["text"] == f"{letter} ✗"
    assert "lrquiz_quit" in action_ids(twice)


async def test_a_failing_response_url_falls_back_to_a_private_message(
    slack: Harness,
) -> None:
    url, key = slack.fake.response_url()
    slack.fake.expired.add(key)
    body = command_body("stats", url)
    assert (await slack.dispatch(body)).status == 200
    [fallback] = await slack.fake.wait(lambda: slack.fake.of("chat.postEphemeral"))
    assert fallback.args["user"] == "U1" and "Stats for" in all_text(fallback.args)


async def test_an_unknown_button_is_answered_at_once(slack: Harness) -> None:
    started = time.monotonic()
    reply = await slack.click("lrquiz_from_an_old_version", "x")
    assert "no longer active" in all_text(reply)
    assert time.monotonic() - started < 2
