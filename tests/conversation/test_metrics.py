"""What the conversation counts for /metrics when things go wrong: a write the database
refuses, a post the platform refuses, and scheduled posts that go out or fail."""

from __future__ import annotations

from bot.conversation import actions as a
from bot.conversation.core import Conversation
from bot.engine.clock import FakeClock
from bot.service import GameService
from tests.scrape import value

from .support import PLATFORM, RecordingPlatform, RecordingReplier, actor, envelope
from .test_runs import click, start

P = {"platform": PLATFORM}


def page(conversation: Conversation) -> str:
    data, content_type = conversation.metrics.exposition()
    assert content_type.startswith("text/plain; version=")
    return data.decode()


async def test_a_refused_write_is_counted_as_one(
    conversation: Conversation, service: GameService
) -> None:
    question = await start(conversation)
    await service.db.run(lambda conn: conn.execute("PRAGMA query_only = ON"))
    await click(conversation, a.Answer(question.session_id, 0, "A"))
    await click(conversation, a.ShowLeaderboard())  # reads go on, and count as ok
    shown = page(conversation)
    assert value(shown, "lrquiz_actions_total", **P, action="Answer", outcome="write_refused") == 1
    assert value(shown, "lrquiz_storage_write_refusals_total", **P) == 1
    assert value(shown, "lrquiz_actions_total", **P, action="StartRun", outcome="ok") == 1
    assert value(shown, "lrquiz_actions_total", **P, action="ShowLeaderboard", outcome="ok") == 1
    assert value(shown, "lrquiz_action_ack_seconds_count", **P) == 3


async def test_a_post_the_platform_refuses_is_a_delivery_failure(
    conversation: Conversation, platform: RecordingPlatform
) -> None:
    platform.admins.add("boss")
    platform.refuse_posts = "not_in_channel"
    await conversation.handle(envelope(a.PostLive(), actor("boss")), RecordingReplier())
    shown = page(conversation)
    failed = {**P, "operation": "post", "transient": "false"}
    assert value(shown, "lrquiz_delivery_failures_total", **failed) == 1
    # the admin was told why: the command itself was handled
    assert value(shown, "lrquiz_actions_total", **P, action="PostLive", outcome="ok") == 1


async def test_scheduled_posts_are_counted_posted_or_failed(
    conversation: Conversation, platform: RecordingPlatform, clock: FakeClock
) -> None:
    platform.admins.add("boss")
    for channel in ("C7", "C8"):
        add = a.AddSchedule("09:00", "UTC", channel)
        await conversation.handle(envelope(add, actor("boss")), RecordingReplier())
    clock.advance((9 * 3600 - clock.now() % 86400) % 86400 + 1)  # just after 09:00 UTC
    platform.refuse_posts = None
    assert [r.status for r in await conversation.scheduler.tick()] == ["posted", "posted"]
    clock.advance(86400)
    platform.refuse_posts = "channel_not_found"
    assert [r.status for r in await conversation.scheduler.tick()] == ["failed", "failed"]
    shown = page(conversation)
    card = {**P, "format": "card"}
    assert value(shown, "lrquiz_scheduled_posts_total", **card, outcome="posted") == 2
    assert value(shown, "lrquiz_scheduled_posts_total", **card, outcome="failed") == 2
    assert value(shown, "lrquiz_scheduled_posts_total", **P, format="live", outcome="failed") == 0
    post_failures = {**P, "operation": "post", "transient": "false"}
    assert value(shown, "lrquiz_delivery_failures_total", **post_failures) == 2
