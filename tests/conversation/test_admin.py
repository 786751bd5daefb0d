"""Admin commands: who may, idempotent posting, and a post the platform refuses."""

from __future__ import annotations

from pathlib import Path

from bot.conversation import actions as a
from bot.conversation.core import Conversation
from bot.conversation.screens import LiveQuestionScreen, Notice, Refusal
from bot.engine.clock import FakeClock
from tests.storage.support import scalar

from .support import RecordingPlatform, RecordingReplier, actor, envelope, text


async def test_non_admins_are_refused_and_nothing_is_posted(
    conversation: Conversation, platform: RecordingPlatform
) -> None:
    replier = RecordingReplier()
    await conversation.handle(envelope(a.PostLive()), replier)
    assert replier.last == Refusal("not-admin")
    assert platform.posts == []


async def test_a_redelivered_post_posts_once(
    conversation: Conversation, platform: RecordingPlatform, db_path: Path
) -> None:
    platform.admins.add("boss")
    boss = actor("boss")
    first, again = RecordingReplier(), RecordingReplier()
    await conversation.handle(envelope(a.PostLive(), boss, key="cmd-9"), first)
    await conversation.handle(envelope(a.PostLive(), boss, key="cmd-9"), again)
    assert len(platform.posts) == 1 and isinstance(platform.posts[0][1], LiveQuestionScreen)
    assert text(first.last) == text(again.last) and "Posted live question" in text(first.last)
    assert scalar(db_path, "SELECT COUNT(*) FROM live_questions") == 1


async def test_a_refused_post_stores_no_live_question(
    conversation: Conversation, platform: RecordingPlatform, db_path: Path, clock: FakeClock
) -> None:
    platform.admins.add("boss")
    platform.refuse_posts = "not_in_channel"
    replier = RecordingReplier()
    await conversation.handle(envelope(a.PostLive(), actor("boss")), replier)
    assert isinstance(replier.last, Notice)
    assert "couldn't post in" in text(replier.last) and "not_in_channel" in text(replier.last)
    assert scalar(db_path, "SELECT COUNT(*) FROM live_questions") == 0
    clock.advance(600)
    assert await conversation.watcher.sweep() == 0  # nothing left behind to score


async def test_an_interrupted_command_is_finished_after_a_restart(
    conversation: Conversation, platform: RecordingPlatform, service
) -> None:
    """Recorded before it was acknowledged, then the process died: a restart carries it out."""
    platform.admins.add("boss")
    command = envelope(a.AddSchedule("09:00", "UTC", "C7"), actor("boss"))
    await conversation.accept(command)  # ...and the process dies before finishing
    later = RecordingReplier()
    assert await conversation.recover(lambda reply: later) == 1
    assert "Added schedule" in text(later.last)
    assert [s.channel_id for s in await conversation.admin.schedules.list("W1")] == ["C7"]
    assert await conversation.recover(lambda reply: later) == 0  # and only once
