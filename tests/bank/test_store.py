"""Stored variants resolve after a restart with no runner: runs, answers, ratings, rebuilds."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from bot.engine.ratings import predict
from bot.service import GameService
from problems.model import Pack
from storage.learning import learner_snapshot, rebuild_learning
from storage.variants import StoredVariant, put_variant, stored_variant
from tests.bank.conftest import TEMPLATE_ID
from tests.storage.support import Services, query, ref

# The template's item difficulty at which a new learner's predicted success is 70 %, the
# adaptive target: a variant predicted from it is the best candidate of its level.
ON_TARGET = -0.405


async def store(service: GameService, *variants: StoredVariant) -> None:
    def work(conn: sqlite3.Connection) -> None:
        for variant in variants:
            put_variant(conn, variant)

    await service.db.transact(work)


def rate_template(path: Path, pack_id: str, difficulty: float) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO item_ratings(pack_id, problem_id, difficulty, answers, updated_at) "
            "VALUES (?, ?, ?, 5, 0)",
            (pack_id, TEMPLATE_ID, difficulty),
        )
    conn.close()


async def test_a_stored_variant_reads_back_whole_after_a_restart(
    db_file: Path, services: Services, bank_pack: Pack, pool_variants: list[StoredVariant]
) -> None:
    variant = pool_variants[0]
    service = await services.open(db_file, [bank_pack])
    await store(service, variant)
    await services.close(service)

    again = await services.open(db_file, [bank_pack])
    read = await again.db.run(lambda c: stored_variant(c, bank_pack.id, variant.problem.id))
    assert read == variant
    assert read.problem.id == f"{TEMPLATE_ID}.s{variant.seed}"
    assert read.torch_version == "2.13.0"
    # Storing the same id again keeps what was stored first (what learners may have seen).
    changed = await again.db.transact(
        lambda c: put_variant(c, StoredVariant(**{**variant.__dict__, "torch_version": "x"}))
    )
    assert changed is False
    assert query(db_file, "SELECT torch_version, template_id FROM variants") == [
        ("2.13.0", TEMPLATE_ID)
    ]


async def test_an_answer_to_a_variant_is_scored_after_a_restart_without_a_runner(
    db_file: Path, services: Services, bank_pack: Pack, pool_variants: list[StoredVariant]
) -> None:
    variant = pool_variants[0].problem
    service = await services.open(db_file, [bank_pack])
    assert service.variants.runner is None
    await store(service, pool_variants[0])
    rate_template(db_file, bank_pack.id, ON_TARGET)
    ann = await service.player_id(ref("ann"))
    run = await service.start(ann, "test", seed=7)
    assert variant.id in run.problem_ids
    index = run.problem_ids.index(variant.id)
    for _ in range(index):  # the fixed questions before it, answered right
        problem = service.pack().problem(run.current.problem_id)
        await service.answer(run.id, ann, problem.answer)
        run = await service.advance(run.id, ann)
    assert run.current.problem_id == variant.id
    await services.close(service)

    # A new process: no runner, an empty cache; the stored variant is what it shows.
    again = await services.open(db_file, [bank_pack])
    state = await again.session(run.id)
    assert again.pack().problem(state.current.problem_id) == variant
    wrong = next(letter for letter in variant.choices if letter != variant.answer)
    _, result = await again.answer(run.id, ann, wrong)
    assert result.correct is False and result.closed

    # The answer moved the template's difficulty (shared by its variants); the review card
    # is the variant's own, so a review shows exactly this problem again.
    items = dict(query(db_file, "SELECT problem_id, answers FROM item_ratings"))
    assert items[TEMPLATE_ID] == 6 and variant.id not in items
    cards = query(db_file, "SELECT problem_id FROM review_cards WHERE user_id = ?", (ann,))
    assert (variant.id,) in cards

    # lrquiz ratings rebuild replays the variant's answer too, from the store.
    before = query(
        db_file, "SELECT * FROM item_ratings WHERE problem_id != ? ORDER BY 1, 2", (TEMPLATE_ID,)
    )
    done = await again.db.transact(lambda c: rebuild_learning(c, list(again.packs.values())))
    assert done.skipped == 0 and done.answers == index + 1
    assert query(
        db_file, "SELECT answers FROM item_ratings WHERE problem_id = ?", (TEMPLATE_ID,)
    ) == [(1,)]
    assert (
        query(
            db_file,
            "SELECT * FROM item_ratings WHERE problem_id != ? ORDER BY 1, 2",
            (TEMPLATE_ID,),
        )
        == before
    )

    # A review run offers the due variant card back, resolved from the store.
    again.clock.advance(30 * 24 * 3600)
    review = await again.start(ann, "review", seed=1)
    assert variant.id in review.problem_ids


async def test_adaptive_runs_predict_a_variant_from_its_template_and_never_repeat_it(
    db_file: Path, services: Services, bank_pack: Pack, pool_variants: list[StoredVariant]
) -> None:
    service = await services.open(db_file, [bank_pack])
    await store(service, *pool_variants)
    ids = {v.problem.id for v in pool_variants}
    ann = await service.player_id(ref("ann"))

    # Rated very hard, the template's variants are far from the 70 % target: not picked.
    rate_template(db_file, bank_pack.id, 3.0)
    far = await service.start(ann, "test", seed=3)
    assert not ids & set(far.problem_ids)
    await service.quit(far.id, ann)

    # Rated on target, the best easy candidate is a variant, and each run takes its own.
    conn = sqlite3.connect(db_file)
    with conn:
        conn.execute("UPDATE item_ratings SET difficulty = ?", (ON_TARGET,))
    conn.close()
    learner = await service.db.run(
        lambda c: learner_snapshot(c, ann, service.pack(), service.clock.now())
    )
    variant = pool_variants[0].problem
    assert abs(predict(learner.ratings, learner.items[TEMPLATE_ID], variant) - 0.7) < 0.01

    seen: list[str] = []
    for seed in (4, 5, 6):
        run = await service.start(ann, "test", seed=seed)
        seen += [p for p in run.problem_ids if p in ids]
        await service.quit(run.id, ann)
    assert sorted(seen) == sorted(ids)  # one each in the first two runs, none after
    bob = await service.player_id(ref("bob"))
    later = await service.start(bob, "test", seed=4)
    assert not ids & set(later.problem_ids)  # taken variants are nobody's candidates
    taken = query(db_file, "SELECT COUNT(*) FROM variants WHERE taken_by IS NOT NULL")
    assert taken == [(2,)]


async def test_two_processes_starting_at_once_never_take_the_same_variant(
    pg_url: str, services: Services, bank_pack: Pack, pool_variants: list[StoredVariant]
) -> None:
    """On PostgreSQL a start runs at REPEATABLE READ (issue 16): a start that picked a pool
    variant from its snapshot while another process took it reruns and does without."""
    first = await services.open(pg_url, [bank_pack])
    second = await services.open(pg_url, [bank_pack])
    variant = pool_variants[0].problem
    await store(first, pool_variants[0])
    query(
        pg_url,
        "INSERT INTO item_ratings(pack_id, problem_id, difficulty, answers, updated_at) "
        "VALUES (?, ?, ?, 5, 0)",
        (bank_pack.id, TEMPLATE_ID, ON_TARGET),
    )
    ann = await first.player_id(ref("ann"))
    bob = await second.player_id(ref("bob"))
    picked, other_took = threading.Event(), threading.Event()
    isolation: list[str] = []
    take = first.variants.take_in

    def take_after_the_other(
        conn: sqlite3.Connection, pack_id: str, session_id: str, ids: Iterable[str], now: float
    ) -> None:
        if not picked.is_set():
            isolation.append(conn.execute("SHOW transaction_isolation").fetchone()[0])
            picked.set()
            other_took.wait(timeout=20)  # its snapshot still shows the variant untaken
        take(conn, pack_id, session_id, ids, now)

    first.variants.take_in = take_after_the_other  # type: ignore[method-assign]
    slow = asyncio.create_task(first.start(ann, "test", seed=4))
    while not picked.is_set():
        await asyncio.sleep(0.01)
    won = await second.start(bob, "test", seed=4)
    other_took.set()
    lost = await asyncio.wait_for(slow, timeout=30)
    assert isolation == ["repeatable read"]
    assert variant.id in won.problem_ids and variant.id not in lost.problem_ids
    assert first.db.retries >= 1
    assert query(pg_url, "SELECT taken_by FROM variants WHERE id = ?", (variant.id,)) == [(won.id,)]
