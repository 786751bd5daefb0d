"""Socket Mode against the fake: apps.connections.open, a WebSocket, envelopes and their acks."""

from __future__ import annotations

import asyncio
import contextlib

from .support import Harness, action_payload, all_text, button, command_fields


async def test_socket_mode_command_and_click(slack: Harness) -> None:
    fake = slack.fake
    task = asyncio.create_task(slack.bot.serve_socket_mode("xapp-test"))
    try:
        await fake.wait(lambda: fake.sockets)
        assert fake.of("apps.connections.open")  # asked SLACK_API_URL for the socket URL

        url, key = fake.response_url()
        envelope = await fake.send_envelope("slash_commands", command_fields("practice", url))
        await fake.wait(lambda: any(a.get("envelope_id") == envelope for a in fake.socket_acks))
        question = await fake.response(key)
        assert "Question 1/5" in all_text(question)

        letter = await slack.right_letter(question)
        value = button(question, f"lrquiz_answer_{letter}")["value"]
        url, key = fake.response_url()
        click = await fake.send_envelope(
            "interactive", action_payload(f"lrquiz_answer_{letter}", value, url)
        )
        await fake.wait(lambda: any(a.get("envelope_id") == click for a in fake.socket_acks))
        reveal = await fake.response(key)
        assert "✅ Correct!" in all_text(reveal)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
