"""Fixtures for the variant store: one real runner process, and a few variants it keyed.

Generating a variant runs its code and every named mistake in the runner, so the variants
tests share are made once per session; tests store copies in their own SQLite files.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from bot.variant_bank import DAILY_SEEDS, VariantBank
from problems.loader import default_packs
from problems.model import Pack, Template
from runner.client import RunnerClient
from storage.database import Database
from storage.variants import POOL, StoredVariant
from tests.factories import make_pack
from tests.runner.conftest import RunnerProcess, start_runner, stop_runner
from tests.storage.support import T0

# An easy predict-output template of the shipped bank: a quick one to run.
TEMPLATE_ID = "t-exponential-decay"
POOL_SEEDS = (DAILY_SEEDS + 11, DAILY_SEEDS + 12)


@functools.cache
def shipped_template(template_id: str = TEMPLATE_ID) -> Template:
    return default_packs()[0].template(template_id)


def pack_with_template() -> Pack:
    """The small test pack (15 fixed problems) plus one shipped template."""
    return replace(make_pack(), templates=(shipped_template(),))


@pytest.fixture(scope="session")
def runner_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunnerProcess]:
    tmp = tmp_path_factory.mktemp("bank-runner")
    process = start_runner(tmp, "--cache", str(tmp / "cache.db"))
    yield process
    stop_runner(process)


@pytest.fixture(scope="session")
def pool_variants(
    runner_process: RunnerProcess, tmp_path_factory: pytest.TempPathFactory
) -> list[StoredVariant]:
    """Two pool variants of TEMPLATE_ID, keyed by the real runner."""
    pack = pack_with_template()

    async def make() -> list[StoredVariant]:
        db = await Database.open(tmp_path_factory.mktemp("bank-gen") / "gen.db")
        bank = VariantBank(db, [pack], FakeClock(T0))
        try:
            async with RunnerClient(runner_process.url) as client:
                bank.use_runner(client)
                template = pack.templates[0]
                return [await bank.generate(pack, template, s, POOL) for s in POOL_SEEDS]
        finally:
            await db.close()

    return asyncio.run(make())


@pytest.fixture
async def runner_client(runner_process: RunnerProcess):
    async with RunnerClient(runner_process.url) as client:
        yield client


@pytest.fixture
def bank_pack() -> Pack:
    return pack_with_template()


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "bank.db"
