"""A problem earns a learner points once per UTC week; repeats keep their outcome."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.engine import game
from bot.engine.periods import period_start
from bot.engine.repeats import award_window_start, newly_pointed, withhold_repeats
from problems.model import Pack

from .conftest import PLAYER, T0


def test_the_award_period_is_the_utc_iso_week() -> None:
    start = datetime.fromtimestamp(award_window_start(T0), UTC)
    assert (start.weekday(), start.hour, start.minute) == (0, 0, 0)
    assert 0 <= T0 - start.timestamp() < 7 * 86400
    assert award_window_start(start.timestamp() + 7 * 86400) == start.timestamp() + 7 * 86400
    for offset in range(0, 60 * 86400, 3 * 3600 + 7):  # agrees with the weekly leaderboard
        assert award_window_start(T0 + offset) == period_start("week", T0 + offset)


def test_only_newly_scored_repeats_lose_their_points(pack: Pack) -> None:
    run = game.start("s", PLAYER, "challenge", pack, T0, seed=1)
    before, _ = game.answer(run, pack, PLAYER, "B", T0 + 1)
    moved = game.advance(before, pack, PLAYER, T0 + 2)
    after, _ = game.answer(moved, pack, PLAYER, "B", T0 + 3)
    assert newly_pointed(moved, after) == ["p1"]
    kept = withhold_repeats(moved, after, {"p0", "p1"})
    assert [q.points for q in kept.questions] == [20, 0]  # p0 was scored before this step
    assert [q.outcome for q in kept.questions] == ["correct", "correct"]
    assert withhold_repeats(moved, after, {"p9"}) == after
