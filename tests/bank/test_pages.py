"""Pages and reports name variants learners answered: the dashboard's problem and item
pages and `lrquiz problems stats`, all from the store, with no runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp

from bot.engine import game
from problems.loader import default_packs
from storage.variants import StoredVariant, put_variant
from tests.storage.support import Services, ref
from tests.web.support import link, serving

REPO = Path(__file__).resolve().parents[2]


async def answered_variant(path: Path, services: Services, variant: StoredVariant) -> StoredVariant:
    """The shipped pack's database where one Slack learner answered `variant` right."""
    shipped = replace(variant, pack_id=default_packs()[0].id)
    service = await services.open(path, default_packs())
    await service.db.transact(lambda conn: put_variant(conn, shipped))
    ann = await service.player_id(ref("ann", "slack", "T1"))
    now = service.clock.now()
    pack = service.pack()

    def start(conn):  # as a daily card holding the variant starts a run
        service.variants.load_in(conn, pack.id, [variant.problem.id])
        run = game.start_with("r1", ann, "test", pack, [variant.problem.id], now)
        service.save_run(conn, None, run, now)
        return run

    run = await service.db.transact(start)
    _, result = await service.answer(run.id, ann, variant.problem.answer)
    assert result.correct
    await services.close(service)
    return shipped


async def test_the_dashboard_shows_a_variant_and_counts_it_in_item_analysis(
    db_file: Path, services: Services, pool_variants: list[StoredVariant]
) -> None:
    variant = (await answered_variant(db_file, services, pool_variants[0])).problem
    jar = aiohttp.CookieJar(unsafe=True)
    now = services.clock.now()
    async with serving(db_file, now) as url, aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(url + link(now, user="ann", admin=True)) as response:
            assert response.status == 200
        async with http.get(f"{url}/slack/T1/bank/lr-differential/{variant.id}") as response:
            page = await response.text()
            assert response.status == 200, page
        assert variant.prompt.split()[0] in page and variant.choices["A"] in page
        async with http.get(f"{url}/slack/T1/admin/items") as response:
            page = await response.text()
        assert f'data-problem="{variant.id}"' in page


async def test_problems_stats_reports_the_answered_variant(
    db_file: Path, services: Services, pool_variants: list[StoredVariant]
) -> None:
    variant = (await answered_variant(db_file, services, pool_variants[0])).problem
    done = subprocess.run(
        [sys.executable, "-m", "bot", "problems", "stats", "--db", str(db_file), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {
        row["problem"]: row for pack in json.loads(done.stdout)["packs"] for row in pack["problems"]
    }
    assert rows[variant.id]["n"] == 1 and rows[variant.id]["facility"] == 1.0
