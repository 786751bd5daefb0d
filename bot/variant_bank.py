"""Fresh variants for the game: made by the runner, kept in the store, looked up by the engine.

`VariantBank` is the `VariantSource` every service Bank resolves variant ids through: a
cache filled from the store (`load_in`, inside the caller's database work), so the engine
never touches storage and a variant resolves after a restart with no runner. With a runner
(`start`), it keeps a small pool of unused variants per template generated ahead in the
background, so starting a run never waits on the runner (a variant takes a few hundred
ms), and it makes a daily card's variant on demand. Without a runner it generates nothing
and everything falls back to the fixed problems.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from bot.engine.adaptive import LearnerSnapshot
from bot.engine.clock import Clock
from problems.model import Pack, Problem, Template
from problems.variants import (
    CodeRunner,
    VariantError,
    generate_variant,
    parse_variant_id,
    rated_id,
)
from storage.database import Database
from storage.variants import (
    DAILY,
    POOL,
    StoredVariant,
    load_variants,
    put_variant,
    take_variants,
    unused_counts,
    unused_pool_ids,
)

log = logging.getLogger(__name__)

# Unused variants kept ready per template: enough for a burst of runs between refills.
POOL_SIZE = 3
# A bot's pool size per template; 0 turns the background refill off (runner capacity).
POOL_ENV = "LRQUIZ_VARIANT_POOL"
MAX_POOL_SIZE = 100
# Daily cards take seeds below this, pool variants at or above it, so the two never share
# an id (and both stay 32-bit integers, for PostgreSQL's INTEGER).
DAILY_SEEDS = 1_000_000_000
# A daily post waits this long for its variant (a cold runner warms up first), then posts
# fixed problems.
DAILY_TIMEOUT_S = 30.0
# Background refill: how often to look, and how long to rest after the runner failed.
REFILL_EVERY_S = 60.0
RETRY_AFTER_S = 300.0
# Between two background variants: the runner's slots are the players' first.
REFILL_PAUSE_S = 0.2
# Variants remembered in memory; older ones are read from the store again when needed.
CACHE_SIZE = 20_000


class _Recording:
    """The runner, noting which PyTorch answered: stored with the variant it keyed."""

    def __init__(self, runner: CodeRunner) -> None:
        self.runner = runner
        self.torch = ""

    async def run(self, code: str, *, timeout_s: float | None = None, seed: int | None = None):
        result: Any = await self.runner.run(code, timeout_s=timeout_s, seed=seed)
        runtime = getattr(result, "runtime", None) or {}
        self.torch = str(runtime.get("torch", self.torch))
        return result


def pool_size_from_env(default: int = POOL_SIZE) -> int:
    """$LRQUIZ_VARIANT_POOL, else `default`; a bad value is logged (one line) and ignored,
    so a typo never keeps a bot from starting."""
    raw = os.environ.get(POOL_ENV, "").strip()
    if not raw:
        return default
    if raw.isdigit() and int(raw) <= MAX_POOL_SIZE:
        return int(raw)
    log.error(
        "%s must be a whole number from 0 to %d, not %r; keeping %d unused variants per template",
        POOL_ENV,
        MAX_POOL_SIZE,
        raw,
        default,
    )
    return default


def daily_variant_seed(day_seed: int) -> int:
    return day_seed % DAILY_SEEDS


def with_template_ratings(learner: LearnerSnapshot, variants: Iterable[Problem]) -> LearnerSnapshot:
    """Predict each variant from its template's item rating: variants of one template share
    one difficulty estimate (the answers to all of them move it), so it means something."""
    items = dict(learner.items)
    for problem in variants:
        rating = items.get(rated_id(problem))
        if rating is not None:
            items[problem.id] = rating
    return replace(learner, items=items)


class VariantBank:
    def __init__(
        self, db: Database, packs: Sequence[Pack], clock: Clock, pool_size: int = POOL_SIZE
    ) -> None:
        self.db = db
        self.packs = {pack.id: pack for pack in packs}
        self.clock = clock
        self.pool_size = pool_size
        self.runner: CodeRunner | None = None
        self._known: OrderedDict[tuple[str, str], Problem] = OrderedDict()
        self._lock = threading.Lock()  # the database thread fills it, the event loop reads
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    # --- the engine's VariantSource ----------------------------------------------------

    def variant(self, pack_id: str, problem_id: str) -> Problem | None:
        with self._lock:
            return self._known.get((pack_id, problem_id))

    def _remember(self, pack_id: str, problems: Iterable[Problem]) -> None:
        with self._lock:
            for problem in problems:
                self._known[(pack_id, problem.id)] = problem
                self._known.move_to_end((pack_id, problem.id))
            while len(self._known) > CACHE_SIZE:
                self._known.popitem(last=False)

    # --- inside the caller's database work ---------------------------------------------

    def load_in(self, conn: sqlite3.Connection, pack_id: str, ids: Iterable[str]) -> None:
        """Make the stored variants among `ids` resolvable (a run or card read from storage)."""
        with self._lock:
            missing = [i for i in ids if parse_variant_id(i) and (pack_id, i) not in self._known]
        if missing:
            self._remember(pack_id, load_variants(conn, pack_id, missing).values())

    def candidates_in(
        self, conn: sqlite3.Connection, pack: Pack, mode: str, learner: LearnerSnapshot | None
    ) -> tuple[list[Problem], LearnerSnapshot | None]:
        """Variants a new run may pick besides the fixed problems, and the learner snapshot
        that predicts them: one unused pool variant per template for challenge and test,
        the learner's due variant cards for review."""
        if learner is None:
            return [], None
        if mode in ("challenge", "test"):
            ids = unused_pool_ids(conn, pack.id)
        elif mode == "review":
            ids = list(learner.due)
        else:
            ids = []
        self.load_in(conn, pack.id, ids)
        extra = [v for i in ids if (v := self.variant(pack.id, i)) is not None]
        if not extra:
            return [], learner
        return extra, with_template_ratings(learner, extra)

    def take_in(
        self,
        conn: sqlite3.Connection,
        pack_id: str,
        session_id: str,
        ids: Iterable[str],
        now: float,
    ) -> None:
        """The pool variants a new run picked are its own: no later run is offered them."""
        if take_variants(conn, pack_id, ids, session_id, now) and self._loop is not None:
            # The pool shrank: refill it. This runs on the database thread, and an asyncio
            # Event may only be set from its loop.
            self._loop.call_soon_threadsafe(self._wake.set)

    # --- generating (needs the runner) --------------------------------------------------

    async def generate(
        self, pack: Pack, template: Template, seed: int, purpose: str
    ) -> StoredVariant:
        """A new variant, keyed by the runner; RunnerUnavailable or VariantError if not."""
        if self.runner is None:
            raise RuntimeError("no runner to generate variants with")
        recording = _Recording(self.runner)
        problem = await generate_variant(template, seed, recording)
        return StoredVariant(
            pack.id, problem, template.id, seed, recording.torch, purpose, self.clock.now()
        )

    async def daily_variant(self, pack: Pack, day_seed: int) -> StoredVariant | None:
        """The day's variant, the same in every process (its seed comes from the day), or
        None when it cannot be made now; the card then has fixed problems only."""
        if not pack.templates:
            return None
        if self.runner is None:
            log.info("daily card of pack %s: no runner, so fixed problems only", pack.id)
            return None
        template = pack.templates[day_seed % len(pack.templates)]
        try:
            variant = await asyncio.wait_for(
                self.generate(pack, template, daily_variant_seed(day_seed), DAILY),
                DAILY_TIMEOUT_S,
            )
        except Exception as exc:  # the post must go on whatever the runner does
            log.warning(
                "daily card of pack %s: no variant of %s (%s); fixed problems only",
                pack.id,
                template.id,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
            return None
        self._remember(pack.id, [variant.problem])
        return variant

    def store_in(self, conn: sqlite3.Connection, variant: StoredVariant) -> None:
        put_variant(conn, variant)
        self._remember(variant.pack_id, [variant.problem])

    async def refill(self, pause_s: float = 0.0) -> int:
        """Top every template's pool up to `pool_size`; how many variants were stored.

        `pause_s` between variants leaves the runner's slots to players' real outputs.

        Stops at the first runner failure (it is retried later); a template that cannot
        make a sound variant for a seed just tries the next seed next time.
        """
        assert self.runner is not None
        made = 0
        for pack in self.packs.values():
            counts = await self.db.run(lambda conn, p=pack: unused_counts(conn, p.id))
            for template in pack.templates:
                for _ in range(self.pool_size - counts.get(template.id, 0)):
                    seed = DAILY_SEEDS + secrets.randbelow(DAILY_SEEDS)
                    try:
                        variant = await self.generate(pack, template, seed, POOL)
                    except VariantError as exc:
                        log.info("variant pool: %s", exc)
                        continue
                    await self.db.transact(lambda conn, v=variant: put_variant(conn, v))
                    made += 1
                    await asyncio.sleep(pause_s)
        return made

    def use_runner(self, runner: CodeRunner | None) -> None:
        """Generate with `runner` from now on (None: fixed problems only)."""
        self.runner = runner

    def start_refilling(self) -> None:
        """Keep every template's pool filled in the background (a bot's long-lived process),
        `$LRQUIZ_VARIANT_POOL` unused variants each (0: no background generation)."""
        self.pool_size = pool_size_from_env(self.pool_size)
        if self.runner is not None and self._task is None and self.pool_size > 0:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.create_task(self._run_forever())

    @property
    def refilling(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run_forever(self) -> None:
        while True:
            delay = REFILL_EVERY_S
            self._wake.clear()  # before refilling: a take during the refill wakes us again
            try:
                made = await self.refill(REFILL_PAUSE_S)
                if made:
                    log.info("variant pool: %d new variants stored", made)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("variant pool not refilled (%s); retrying later", exc)
                delay = RETRY_AFTER_S
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._loop = None
