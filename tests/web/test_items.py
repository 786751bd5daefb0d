"""The item-analysis page's figures: the engine's analysis of one workspace's first tries."""

from __future__ import annotations

from pathlib import Path

from bot.engine.clock import FakeClock
from bot.service import GameService
from bot.web.data import DashboardData
from bot.web.items import describe_flag
from storage.database import Database
from tests.factories import make_pack
from tests.storage.support import T0, ref


async def _answer_first_question(service: GameService, who, letter: str) -> None:
    player = await service.player_id(who)
    run = await service.start(player, "practice", seed=1)
    await service.answer(run.id, player, letter)


async def test_the_page_counts_only_this_workspaces_answers(tmp_path: Path) -> None:
    pack = make_pack()
    service = GameService(await Database.open(tmp_path / "q.db"), [pack], FakeClock(T0))
    for n in range(12):  # twelve learners of one server: half right, half wrong
        await _answer_first_question(service, ref(f"a{n}", "slack", "T1"), "B" if n % 2 else "A")
    for n in range(5):  # another workspace's answers must not count here
        await _answer_first_question(service, ref(f"b{n}", "slack", "T2"), "A")
    data = DashboardData(service.db, [pack], service.clock)
    [row] = await data.item_analysis("slack", "T1")
    assert row.n == 12 and row.facility == 0.5 and row.key == "B"
    assert row.pick_rates["A"] == row.pick_rates["B"] == 0.5
    [other] = await data.item_analysis("slack", "T2")
    assert other.n == 5 and other.facility == 0.0
    assert other.flags == ()  # fewer than 10 answers: no verdicts yet
    assert await data.item_analysis("discord", "T1") == []
    await service.db.close()


def test_flags_read_as_sentences_with_the_engines_thresholds() -> None:
    assert describe_flag("too-easy") == "too easy: over 95% right on the first try"
    assert describe_flag("too-hard") == "too hard: under 20% right on the first try"
    assert describe_flag("dead-distractor:C") == "C is almost never picked (under 5%)"
    assert describe_flag("weak-discrimination").startswith("weak discrimination (under 0.15)")
