from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.conversation.core import Conversation
from bot.service import GameService

from .support import RecordingPlatform


@pytest.fixture
def platform() -> RecordingPlatform:
    return RecordingPlatform()


@pytest.fixture
async def conversation(
    service: GameService, platform: RecordingPlatform
) -> AsyncIterator[Conversation]:
    talk = Conversation(service, platform)
    yield talk
    await talk.stop()
