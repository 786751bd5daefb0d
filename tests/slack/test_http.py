"""Request signing (bad signature, stale timestamp → 401) and HTTP mode over a real socket."""

from __future__ import annotations

import time

import aiohttp

from storage.migrations import LATEST_VERSION

from .support import Harness, all_text, command_body, signed_headers


async def test_bad_signature_is_401_and_nothing_happens(slack: Harness) -> None:
    url, key = slack.fake.response_url()
    body = command_body("challenge", url)
    response = await slack.dispatch(body, signed_headers(body, secret="not-the-secret"))
    assert response.status == 401
    assert slack.fake.posted_to(key) == []
    assert slack.fake.calls == []


async def test_stale_timestamp_is_401(slack: Harness) -> None:
    url, _ = slack.fake.response_url()
    body = command_body("help", url)
    old = int(time.time()) - 10 * 60  # Slack's replay window is 5 minutes
    response = await slack.dispatch(body, signed_headers(body, timestamp=old))
    assert response.status == 401


async def test_tampered_body_is_401(slack: Harness) -> None:
    url, _ = slack.fake.response_url()
    headers = signed_headers(command_body("help", url))
    response = await slack.dispatch(command_body("admin post now", url), headers)
    assert response.status == 401


async def test_http_mode_over_a_real_socket(slack: Harness) -> None:
    web_runner, port = await slack.bot.serve_http("127.0.0.1", 0)
    try:
        events = f"http://127.0.0.1:{port}/slack/events"
        async with aiohttp.ClientSession() as http:
            url, key = slack.fake.response_url()
            body = command_body("practice", url)
            async with http.post(events, data=body, headers=signed_headers(body)) as response:
                assert response.status == 200
            reply = await slack.fake.response(key)
            assert "Question 1/5" in all_text(reply)

            async with http.post(
                events, data=body, headers=signed_headers(body, secret="wrong")
            ) as response:
                assert response.status == 401
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                health = await response.json()
                assert health["ok"] is True and health["database"]["schema"] == LATEST_VERSION
            async with http.post(f"http://127.0.0.1:{port}/elsewhere", data=body) as response:
                assert response.status == 404
    finally:
        await web_runner.cleanup()
