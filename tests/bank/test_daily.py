"""A daily card gets a fresh variant from the runner, the same in every process; without a
runner the card still posts, with fixed problems only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.dailies import DailyChallenges
from bot.engine.daily import daily_seed
from bot.engine.schedule import local_date
from bot.variant_bank import DAILY_SEEDS
from problems.model import Pack
from problems.variants import parse_variant_id
from runner.client import RunnerClient
from tests.bank.conftest import TEMPLATE_ID
from tests.storage.support import Services, query, ref

CHANNEL = ("slack", "T1", "C1")


def expected_variant_id(now: float) -> str:
    seed = daily_seed(local_date(now, "UTC").isoformat(), ":".join(CHANNEL))
    return f"{TEMPLATE_ID}.s{seed % DAILY_SEEDS}"


async def test_a_daily_card_has_a_fresh_variant_stored_with_it(
    tmp_path: Path, services: Services, bank_pack: Pack, runner_client: RunnerClient
) -> None:
    service = await services.open(tmp_path / "a.db", [bank_pack])
    service.variants.use_runner(runner_client)
    posting = await DailyChallenges(service).post(*CHANNEL, "UTC")
    daily = posting.daily
    variant_id = expected_variant_id(service.clock.now())
    assert posting.created and variant_id in daily.problem_ids
    # It took the predict-output slot: still one problem per kind.
    kinds = [service.pack().problem(i).kind for i in daily.problem_ids]
    assert len(set(kinds)) == len(kinds) == 5
    rows = query(
        tmp_path / "a.db", "SELECT id, template_id, purpose, torch_version, taken_by FROM variants"
    )
    assert rows == [(variant_id, TEMPLATE_ID, "daily", "2.13.0", None)]

    # Another process (its own database here) makes the very same variant for that day.
    other = await services.open(tmp_path / "b.db", [bank_pack])
    other.variants.use_runner(runner_client)
    twin = await DailyChallenges(other).post(*CHANNEL, "UTC")
    assert twin.daily.problem_ids == daily.problem_ids
    assert other.pack().problem(variant_id) == service.pack().problem(variant_id)

    # After a restart, with no runner, a member plays it: the variant is the stored one.
    problem = service.pack().problem(variant_id)
    await services.close(service)
    again = await services.open(tmp_path / "a.db", [bank_pack])
    dailies = DailyChallenges(again)
    assert (await dailies.post(*CHANNEL, "UTC")).daily == daily  # already posted today
    ann = await again.player_id(ref("ann", "slack", "T1"))
    run = await dailies.start(daily.id, ann)
    index = daily.problem_ids.index(variant_id)
    for _ in range(index):
        await again.answer(run.id, ann, again.pack().problem(run.current.problem_id).answer)
        run = await again.advance(run.id, ann)
    _, result = await again.answer(run.id, ann, problem.answer)
    assert result.correct and result.points > 0
    summary = await dailies.summary(daily.id)
    assert summary.participants == 1


@pytest.mark.parametrize("runner_url", [None, "http://127.0.0.1:9"], ids=["none", "down"])
async def test_without_a_runner_the_card_posts_fixed_problems_and_says_so(
    tmp_path: Path,
    services: Services,
    bank_pack: Pack,
    caplog: pytest.LogCaptureFixture,
    runner_url: str | None,
) -> None:
    service = await services.open(tmp_path / "quiz.db", [bank_pack])
    caplog.set_level(logging.INFO, logger="bot.variant_bank")
    async with RunnerClient(runner_url or "http://127.0.0.1:9") as client:
        service.variants.use_runner(client if runner_url else None)
        posting = await DailyChallenges(service).post(*CHANNEL, "UTC")
    assert posting.created and len(posting.daily.problem_ids) == 5
    assert not any(parse_variant_id(i) for i in posting.daily.problem_ids)
    assert query(tmp_path / "quiz.db", "SELECT COUNT(*) FROM variants") == [(0,)]
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "fixed problems only" in said
    if runner_url:
        assert TEMPLATE_ID in said and "unreachable" in said
