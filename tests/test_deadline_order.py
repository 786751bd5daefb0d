"""The deadline watcher's next deadline, now read from the open-timed-questions index."""

from __future__ import annotations

from pathlib import Path

from bot.deadlines import DeadlineWatcher
from bot.engine.clock import FakeClock
from bot.service import GameService
from tests.storage.support import T0, Services, ref


async def test_runs_close_in_deadline_order_per_platform_and_untimed_runs_never_wake_it(
    tmp_path: Path, services: Services, clock: FakeClock
) -> None:
    service: GameService = await services.open(tmp_path / "quiz.db")
    ann = await service.player_id(ref("ann", "discord", "g1"))
    bob = await service.player_id(ref("bob", "discord", "g1"))
    cy = await service.player_id(ref("cy", "slack", "T1"))
    # History: finished questions never count, however many there are.
    for n in range(5):
        run = await service.start(ann, "challenge", seed=n)
        await service.quit(run.id, ann)
    await service.start(bob, "practice", seed=1)  # open, but untimed
    starts = {}
    for who, offset in ((cy, 0.0), (bob, 10.0), (ann, 20.0)):
        clock.set(T0 + offset)
        starts[who] = await service.start(who, "challenge", seed=7)
    deadline = {who: run.current.deadline for who, run in starts.items()}
    assert deadline[cy] < deadline[bob] < deadline[ann]
    closed: list[str] = []

    async def note(state) -> None:
        closed.append(state.id)

    watcher = DeadlineWatcher(service, note, note, platform="discord")
    assert await service.next_deadline() == deadline[cy]
    assert await service.next_deadline("discord") == deadline[bob]
    assert await service.next_deadline("slack") == deadline[cy]
    for who in (bob, ann):
        clock.set(deadline[who] + 0.01)
        assert await watcher.sweep() == 1
        assert closed[-1] == starts[who].id
        assert (await service.session(starts[who].id)).questions[0].outcome == "expired"
    assert closed == [starts[bob].id, starts[ann].id]
    assert await service.next_deadline("discord") is None  # only the practice run is open
    assert await service.next_deadline() == deadline[cy]
