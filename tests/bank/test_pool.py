"""The pool of unused variants is filled ahead by the runner, in the background, and
refilled after a run takes one; starting a run only reads the store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from problems.model import Pack
from runner.client import RunnerClient
from storage.variants import unused_counts
from tests.bank.conftest import TEMPLATE_ID
from tests.bank.test_store import ON_TARGET, rate_template
from tests.storage.support import Services, query, ref


async def unused(service) -> dict[str, int]:
    return await service.db.run(lambda c: unused_counts(c, service.pack().id))


async def wait_for_pool(service, size: int, timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (await unused(service)).get(TEMPLATE_ID, 0) < size:
        assert asyncio.get_running_loop().time() < deadline, "the pool was not refilled"
        await asyncio.sleep(0.05)


async def test_the_pool_is_filled_ahead_and_refilled_after_a_run_takes_a_variant(
    db_file: Path, services: Services, bank_pack: Pack, runner_client: RunnerClient
) -> None:
    service = await services.open(db_file, [bank_pack])
    service.variants.pool_size = 1
    service.variants.use_runner(runner_client)
    service.variants.start_refilling()
    try:
        await wait_for_pool(service, 1)
        (first,) = query(db_file, "SELECT id FROM variants")
        assert query(db_file, "SELECT torch_version, purpose FROM variants") == [("2.13.0", "pool")]
        rate_template(db_file, bank_pack.id, ON_TARGET)
        ann = await service.player_id(ref("ann"))
        run = await service.start(ann, "test", seed=1)
        assert first[0] in run.problem_ids
        await wait_for_pool(service, 1)  # woken by the take, not by the minute's timer
        ids = {row[0] for row in query(db_file, "SELECT id FROM variants")}
        assert len(ids) == 2 and first[0] in ids
        assert await service.variants.refill() == 0  # full: nothing more to make
    finally:
        await service.variants.stop()


async def test_the_pool_size_comes_from_the_environment_and_a_typo_is_one_log_line(
    db_file: Path,
    services: Services,
    bank_pack: Pack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = await services.open(db_file, [bank_pack])
    async with RunnerClient("http://127.0.0.1:9") as unreachable:
        service.variants.use_runner(unreachable)
        monkeypatch.setenv("LRQUIZ_VARIANT_POOL", "0")
        service.variants.start_refilling()
        assert not service.variants.refilling  # 0: no background generation at all

        monkeypatch.setenv("LRQUIZ_VARIANT_POOL", "lots")
        service.variants.pool_size = 3
        service.variants.start_refilling()
        try:
            assert service.variants.refilling and service.variants.pool_size == 3
            [line] = [
                r.getMessage() for r in caplog.records if "LRQUIZ_VARIANT_POOL" in r.getMessage()
            ]
            assert line == (
                "LRQUIZ_VARIANT_POOL must be a whole number from 0 to 100, not 'lots'; "
                "keeping 3 unused variants per template"
            )
        finally:
            await service.variants.stop()
