"""The game service: engine rules + storage, one transaction per player action.

Front ends (terminal, Discord, Slack) call this and render the engine's views; none of them
holds game state. Each action loads the run, applies a pure engine transition and saves the
difference in one `BEGIN IMMEDIATE` transaction, so the result is committed before the player
is told it and concurrent clicks serialise instead of racing.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Generic, TypeVar

from bot.engine import game, live
from bot.engine.badges import every_badge, streak_badges
from bot.engine.bank import Bank
from bot.engine.clock import Clock, SystemClock
from bot.engine.errors import GameError, QuestionClosed, UnknownSession
from bot.engine.game import AnswerResult
from bot.engine.modes import rules_for
from bot.engine.periods import period_key
from bot.engine.repeats import award_window_start, newly_pointed, withhold_repeats
from bot.engine.selection import ADAPTIVE_MODES
from bot.engine.state import SessionState
from bot.engine.stats import StatsView, build_stats
from bot.variant_bank import VariantBank
from problems.model import Badge, Pack
from storage.actions import find_action, forget_old_actions, record_done, record_pending
from storage.dailies import daily_of_session
from storage.database import Database
from storage.isolation import row_locked
from storage.leaderboard import LeaderboardRow, leaderboard
from storage.learning import (
    learner_snapshot,
    learning_summary,
    record_learning,
    record_live_learning,
    scored_since,
)
from storage.live import (
    insert_live,
    live_past_deadline,
    load_live,
    next_live_deadline,
    save_live,
)
from storage.refs import MessageRef, claim_ref, get_ref, put_ref, release_claim
from storage.sessions import (
    badge_counts,
    load_session,
    next_run_deadline,
    save_session,
    sessions_past_deadline,
)
from storage.settings import WorkspaceSettings, get_settings, put_settings
from storage.stats import display_name, problem_tallies
from storage.streaks import record_completed_day
from storage.users import PlayerRef, ensure_user, find_user, get_user

T = TypeVar("T")
Operation = Callable[[SessionState, float], tuple[SessionState, T]]
# A run transition for the player who sent a platform action: (state, player id, now).
PlayerOperation = Callable[[SessionState, int, float], tuple[SessionState, T]]
LiveOperation = Callable[[live.LiveState, int, float], tuple[live.LiveState, T]]


@dataclass(frozen=True)
class Delivery:
    """One platform action as storage sees it: who sent it, its unique delivery id (None
    where the platform has none) and the handle to edit its reply later."""

    player: PlayerRef
    key: str | None = None
    reply: MessageRef | None = None


@dataclass(frozen=True)
class Step(Generic[T]):
    """What one delivered action did, committed in one transaction with its record.

    `shown` is what the conversation chose to tell the player about it, stored with the
    change; a redelivery (`replayed`) gets the same `shown` and changes nothing.
    """

    player_id: int
    before: Any = None
    after: Any = None
    result: T | None = None
    error: GameError | None = None
    shown: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    @property
    def finished_now(self) -> bool:
        """A run that this very action ended (badges may need announcing)."""
        before, after = self.before, self.after
        return (
            isinstance(after, SessionState)
            and after.is_finished
            and not (isinstance(before, SessionState) and before.is_finished)
            and not self.replayed
        )


Describe = Callable[[Step[Any]], dict[str, Any]]


@dataclass(frozen=True)
class Leaderboard:
    period: str
    rows: list[LeaderboardRow]
    own: LeaderboardRow | None


class GameService:
    def __init__(
        self,
        db: Database,
        packs: Sequence[Pack],
        clock: Clock | None = None,
        target_success: float = 0.7,
    ) -> None:
        if not packs:
            raise ValueError("at least one problem pack is needed")
        self.db = db
        self.clock = clock or SystemClock()
        # Variant ids resolve through this (fixed problems first): see bot/variant_bank.py.
        self.variants = VariantBank(db, packs, self.clock)
        self.packs = {pack.id: Bank.of(pack, self.variants) for pack in packs}
        self.all_badges = every_badge(packs)
        self.default_pack_id = packs[0].id
        # Predicted success adaptive runs aim for (bot/engine/adaptive.py).
        self.target_success = target_success

    def pack(self, pack_id: str | None = None) -> Pack:
        wanted = pack_id or self.default_pack_id
        try:
            return self.packs[wanted]
        except KeyError:
            known = ", ".join(sorted(self.packs))
            raise ValueError(f"unknown pack {wanted!r}; loaded packs: {known}") from None

    async def player_id(self, player: PlayerRef) -> int:
        now = self.clock.now()
        return await self.db.transact(lambda conn: ensure_user(conn, player, now))

    async def find_player(self, platform: str, workspace: str, external_id: str) -> int | None:
        """A known player's id without creating one, e.g. for `stats @someone`."""
        return await self.db.run(lambda conn: find_user(conn, platform, workspace, external_id))

    async def player(self, player_id: int) -> PlayerRef | None:
        """Who a player id is on their platform, e.g. to mention a live question's winner."""
        return await self.db.run(lambda conn: get_user(conn, player_id))

    async def start(
        self, player_id: int, mode: str, pack_id: str | None = None, seed: int | None = None
    ) -> SessionState:
        """A new run with its first question open (and its clock running) in storage."""
        rules_for(mode)  # unknown modes fail before anything is written
        pack = self.pack(pack_id)
        now = self.clock.now()
        chosen_seed = secrets.randbits(32) if seed is None else seed
        session_id = secrets.token_hex(6)

        @row_locked  # the player's own history, plus pool variants taken by a guarded UPDATE
        def work(conn: sqlite3.Connection) -> SessionState:
            return self.new_run_in(conn, session_id, player_id, mode, pack, now, chosen_seed)

        return await self.db.transact(work)

    def new_run_in(
        self,
        conn: sqlite3.Connection,
        session_id: str,
        player_id: int,
        mode: str,
        pack: Pack,
        now: float,
        seed: int,
    ) -> SessionState:
        """Choose and store a new run inside `conn`'s transaction; an adaptive run may take
        fresh variants from the pool, which are then its own."""
        learner = None
        if mode in ADAPTIVE_MODES:
            learner = learner_snapshot(conn, player_id, pack, now, self.target_success)
        extra, learner = self.variants.candidates_in(conn, pack, mode, learner)
        session = game.start(session_id, player_id, mode, pack, now, seed, learner, extra)
        self.variants.take_in(conn, pack.id, session.id, session.problem_ids, now)
        self.save_run(conn, None, session, now)
        return session

    async def session(self, session_id: str) -> SessionState:
        return await self.db.run(lambda conn: self.load_run(conn, session_id))

    async def answer(
        self, session_id: str, player_id: int, letter: str, question_index: int | None = None
    ) -> tuple[SessionState, AnswerResult]:
        return await self._apply(
            session_id,
            lambda s, now: game.answer(
                s, self.pack(s.pack_id), player_id, letter, now, question_index
            ),
        )

    async def hint(
        self, session_id: str, player_id: int, question_index: int | None = None
    ) -> tuple[SessionState, str]:
        return await self._apply(
            session_id,
            lambda s, now: game.take_hint(s, self.pack(s.pack_id), player_id, now, question_index),
        )

    async def advance(self, session_id: str, player_id: int) -> SessionState:
        state, _ = await self._apply(
            session_id,
            lambda s, now: (game.advance(s, self.pack(s.pack_id), player_id, now), None),
        )
        return state

    async def expire(self, session_id: str) -> SessionState:
        """Close the current question if its deadline has passed (a front end's timer fired)."""
        state, _ = await self._apply(
            session_id, lambda s, now: (game.expire(s, self.pack(s.pack_id), now), None)
        )
        return state

    async def quit(self, session_id: str, player_id: int) -> SessionState:
        state, _ = await self._apply(
            session_id, lambda s, now: (game.abandon(s, player_id, now), None)
        )
        return state

    async def close_expired(self, platform: str | None = None) -> list[SessionState]:
        """Close every question whose deadline passed, e.g. while the bot was down.

        `platform` limits it to that front end's players (see DeadlineWatcher).
        """
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> list[SessionState]:
            closed = []
            for session_id in sessions_past_deadline(conn, now, platform):
                before = self.load_run(conn, session_id)
                after = self.expire_in(conn, before, now)
                if after != before:
                    closed.append(after)
            return closed

        return await self.db.transact(work)

    async def badges(self, player_id: int) -> list[tuple[str, int]]:
        """(badge id, times earned) for everything the player has earned."""
        return await self.db.run(lambda conn: badge_counts(conn, player_id))

    def badge(self, badge_id: str) -> Badge | None:
        """A pack's badge or a built-in one, by id."""
        return self.all_badges.get(badge_id)

    async def stats(self, player_id: int) -> StatsView:
        """Points, accuracy by kind and difficulty, and badges for one player."""

        now = self.clock.now()

        def read(conn: sqlite3.Connection):
            tallies = problem_tallies(conn, player_id)
            for tally in tallies:
                if tally.pack_id in self.packs:
                    self.variants.load_in(conn, tally.pack_id, [tally.problem_id])
            return (
                display_name(conn, player_id),
                tallies,
                badge_counts(conn, player_id),
                learning_summary(conn, player_id, list(self.packs.values()), now),
            )

        name, tallies, badges, (mastery, recalls) = await self.db.run(read)
        rows = []
        for tally in tallies:
            pack = self.packs.get(tally.pack_id)
            problem = None
            if pack is not None:
                with contextlib.suppress(KeyError):
                    problem = pack.problem(tally.problem_id)
            rows.append((problem, tally.answered, tally.correct, tally.points))
        earned = [(b, n) for badge_id, n in badges if (b := self.badge(badge_id)) is not None]
        return build_stats(name or "?", rows, earned, mastery, recalls)

    # --- delivered platform actions: applied, recorded and acknowledged once -----------

    async def delivered(
        self,
        delivery: Delivery,
        kind: str,
        describe: Describe,
        apply: Callable[[sqlite3.Connection, int, float], Step[T]],
    ) -> Step[T]:
        """One delivered action in ONE transaction: a redelivery gets the stored outcome and
        changes nothing; otherwise the player (created or renamed), the change `apply` makes
        and what `describe` says was shown are committed together, so nothing acknowledged
        is lost and nothing is applied twice."""
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> Step[T]:
            replay = self.replay_in(conn, delivery)
            if replay is not None:
                return replay
            step = apply(conn, ensure_user(conn, delivery.player, now), now)
            return self.record_in(conn, delivery, kind, step, describe, now)

        return await self.db.transact(work)

    async def step_run(
        self,
        delivery: Delivery,
        kind: str,
        session_id: str,
        operation: PlayerOperation[T],
        describe: Describe,
    ) -> Step[T]:
        """A click on a run, with where to edit the player's message later."""

        def apply(conn: sqlite3.Connection, player_id: int, now: float) -> Step[T]:
            try:
                before = self.load_run(conn, session_id)
            except UnknownSession as error:
                return Step(player_id, error=error)
            step = self._step_in(conn, before, player_id, operation, now)
            if before.player_id == player_id:
                self.remember_reply_in(conn, delivery, session_id, now)
            return step

        return await self.delivered(delivery, kind, describe, apply)

    async def start_for(
        self,
        delivery: Delivery,
        mode: str,
        describe: Describe,
        pack_id: str | None = None,
        seed: int | None = None,
    ) -> Step[None]:
        """A new run for whoever sent this action, created once per delivery id."""
        rules_for(mode)  # unknown modes fail before anything is written
        pack = self.pack(pack_id)
        chosen_seed = secrets.randbits(32) if seed is None else seed
        session_id = secrets.token_hex(6)

        def apply(conn: sqlite3.Connection, player_id: int, now: float) -> Step[None]:
            session = self.new_run_in(conn, session_id, player_id, mode, pack, now, chosen_seed)
            self.remember_reply_in(conn, delivery, session.id, now)
            return Step(player_id, None, session)

        return await self.delivered(delivery, "start", describe, apply)

    async def step_live(
        self,
        delivery: Delivery,
        kind: str,
        live_id: str,
        operation: LiveOperation[T],
        describe: Describe,
    ) -> Step[T]:
        """One answer or hint on a public question."""

        def apply(conn: sqlite3.Connection, player_id: int, now: float) -> Step[T]:
            before = load_live(conn, live_id)
            try:
                after, result = operation(before, player_id, now)
            except GameError as error:
                return Step(player_id, before, before, error=error)
            self.save_live_in(conn, before, after, now)
            return Step(player_id, before, after, result)

        return await self.delivered(delivery, kind, describe, apply)

    async def begin_action(
        self, delivery: Delivery, kind: str, payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Record an action whose effects lie outside the database (a public post) before
        it is carried out. None: first delivery, go ahead. Otherwise what was shown for it
        ({} while the first delivery is still being carried out)."""
        if delivery.key is None:
            return None
        now = self.clock.now()
        platform = delivery.player.platform
        key = delivery.key

        def work(conn: sqlite3.Connection) -> dict[str, Any] | None:
            if record_pending(conn, platform, key, kind, payload, now):
                return None
            seen = find_action(conn, platform, key)
            return (seen.outcome or {}) if seen is not None else {}

        return await self.db.transact(work)

    async def finish_action(self, delivery: Delivery, kind: str, shown: dict[str, Any]) -> None:
        if delivery.key is None:
            return
        now = self.clock.now()
        platform, key = delivery.player.platform, delivery.key
        await self.db.transact(lambda conn: record_done(conn, platform, key, kind, shown, now))

    async def forget_old_actions(self) -> int:
        """Drop delivery records older than any platform redelivers (housekeeping)."""
        now = self.clock.now()
        return await self.db.transact(lambda conn: forget_old_actions(conn, now))

    def replay_in(self, conn: sqlite3.Connection, delivery: Delivery) -> Step[Any] | None:
        """The stored outcome of an action delivered before, or None for a new one; with
        the run it named (`shown["session_id"]`) as it stands now."""
        if delivery.key is None:
            return None
        seen = find_action(conn, delivery.player.platform, delivery.key)
        if seen is None or seen.outcome is None:
            return None
        ref = delivery.player
        player_id = find_user(conn, ref.platform, ref.workspace, ref.external_id) or 0
        current = None
        if seen.outcome.get("session_id"):
            with contextlib.suppress(UnknownSession):
                current = self.load_run(conn, seen.outcome["session_id"])
        return Step(player_id, current, current, shown=seen.outcome, replayed=True)

    def record_in(
        self,
        conn: sqlite3.Connection,
        delivery: Delivery,
        kind: str,
        step: Step[T],
        describe: Describe,
        now: float,
    ) -> Step[T]:
        shown = describe(step)
        if delivery.key is not None:
            record_done(conn, delivery.player.platform, delivery.key, kind, shown, now)
        return replace(step, shown=shown)

    def remember_reply_in(
        self, conn: sqlite3.Connection, delivery: Delivery, session_id: str, now: float
    ) -> None:
        if delivery.reply is not None:
            put_ref(conn, delivery.player.platform, "run", session_id, delivery.reply, now)

    def _step_in(
        self,
        conn: sqlite3.Connection,
        before: SessionState,
        player_id: int,
        operation: PlayerOperation[T],
        now: float,
    ) -> Step[T]:
        """Apply a transition inside `conn`'s transaction; a refusal is a Step with an error.

        A command that arrives after the deadline still closes the question (as expired),
        so the player sees the reveal.
        """
        try:
            after, result = operation(before, player_id, now)
        except QuestionClosed as closed:
            after = self.expire_in(conn, before, now) if closed.reason == "expired" else before
            return Step(player_id, before, after, error=closed)
        except GameError as error:
            return Step(player_id, before, before, error=error)
        after = self._award_once(conn, before, after, now)
        after = self._on_finish(conn, before, after)
        if isinstance(result, AnswerResult) and result.closed:
            # A problem scored before this week earns nothing again (bot/engine/repeats.py).
            result = replace(result, points=after.questions[-1].points)  # type: ignore[assignment]
        if isinstance(result, AnswerResult) and result.finished:
            result = replace(result, new_badges=after.badges)  # type: ignore[assignment]
        self.save_run(conn, before, after, now)
        return Step(player_id, before, after, result)

    # --- live questions ----------------------------------------------------------------

    def new_live(self, pack_id: str | None = None, problem_id: str | None = None) -> live.LiveState:
        """A public question opening now, not stored yet: it is stored (`open_live`) only
        once its message exists, so a post the platform refuses leaves nothing to score."""
        pack = self.pack(pack_id)
        if problem_id is None:
            problem_id = secrets.choice(pack.problems).id
        else:
            try:
                pack.problem(problem_id)
            except KeyError:
                raise ValueError(f"pack {pack.id!r} has no problem {problem_id!r}") from None
        return live.open_live(secrets.token_hex(6), pack, problem_id, self.clock.now())

    async def open_live(
        self,
        state: live.LiveState,
        platform: str,
        workspace: str,
        posted_by: int | None,
        ref: MessageRef | None = None,
    ) -> None:
        """Store a posted public question, with where it was posted, in one transaction."""
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> None:
            insert_live(conn, state, platform, workspace, posted_by)
            if ref is not None:
                put_ref(conn, platform, "live", state.id, ref, now)

        await self.db.transact(work)

    async def post_live(
        self,
        platform: str,
        workspace: str,
        posted_by: int | None = None,
        pack_id: str | None = None,
        problem_id: str | None = None,
    ) -> live.LiveState:
        """Open and store a public question now (for callers that post it afterwards)."""
        state = self.new_live(pack_id, problem_id)
        await self.open_live(state, platform, workspace, posted_by)
        return state

    async def live(self, live_id: str) -> live.LiveState:
        return await self.db.run(lambda conn: load_live(conn, live_id))

    async def answer_live(
        self, live_id: str, player_id: int, letter: str
    ) -> tuple[live.LiveState, live.LiveAnswer]:
        return await self._apply_live(
            live_id,
            lambda s, now: live.answer_live(s, self.pack(s.pack_id), player_id, letter, now),
        )

    async def hint_live(self, live_id: str, player_id: int) -> tuple[live.LiveState, str]:
        return await self._apply_live(
            live_id, lambda s, now: live.hint_live(s, self.pack(s.pack_id), player_id, now)
        )

    async def close_due_live(self, platform: str | None = None) -> list[live.LiveState]:
        """Close every live question whose deadline passed; each is returned once."""
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> list[live.LiveState]:
            closed = []
            for live_id in live_past_deadline(conn, now, platform):
                before = load_live(conn, live_id)
                after = live.close_live(before, self.pack(before.pack_id), now)
                self.save_live_in(conn, before, after, now)
                closed.append(after)
            return closed

        return await self.db.transact(work)

    def save_live_in(
        self, conn: sqlite3.Connection, before: live.LiveState, after: live.LiveState, now: float
    ) -> None:
        """Persist a live transition and, when it closes the question, what every answer
        taught the ratings and review cards (same transaction, as for runs)."""
        save_live(conn, before, after, now)
        record_live_learning(conn, before, after, self.pack(after.pack_id), self.db.row_cache)

    async def next_deadline(self, platform: str | None = None) -> float | None:
        """The earliest deadline of any open question or live question, for timers."""

        def read(conn: sqlite3.Connection) -> float | None:
            candidates = [next_run_deadline(conn, platform), next_live_deadline(conn, platform)]
            due = [d for d in candidates if d is not None]
            return min(due) if due else None

        return await self.db.run(read)

    async def _apply_live(
        self, live_id: str, operation: Callable[[live.LiveState, float], tuple[live.LiveState, T]]
    ) -> tuple[live.LiveState, T]:
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> tuple[live.LiveState, T]:
            before = load_live(conn, live_id)
            after, result = operation(before, now)
            self.save_live_in(conn, before, after, now)
            return after, result

        return await self.db.transact(work)

    # --- workspace settings ------------------------------------------------------------

    async def settings(self, platform: str, workspace: str) -> WorkspaceSettings:
        return await self.db.run(lambda conn: get_settings(conn, platform, workspace))

    async def update_settings(
        self, platform: str, workspace: str, settings: WorkspaceSettings
    ) -> None:
        await self.db.transact(lambda conn: put_settings(conn, platform, workspace, settings))

    # --- message references for front ends ---------------------------------------------

    async def remember_message(self, platform: str, kind: str, key: str, ref: MessageRef) -> None:
        now = self.clock.now()
        await self.db.transact(lambda conn: put_ref(conn, platform, kind, key, ref, now))

    async def message_ref(self, platform: str, kind: str, key: str) -> MessageRef | None:
        return await self.db.run(lambda conn: get_ref(conn, platform, kind, key))

    async def claim_message(self, platform: str, kind: str, key: str) -> bool:
        """True for the one caller that may post the message stored under this key."""
        now = self.clock.now()
        return await self.db.transact(lambda conn: claim_ref(conn, platform, kind, key, now))

    async def release_message(self, platform: str, kind: str, key: str) -> None:
        """The claimed post failed: let a later attempt post instead."""
        await self.db.transact(lambda conn: release_claim(conn, platform, kind, key))

    async def leaderboard(
        self,
        platform: str,
        workspace: str,
        period: str = "all",
        me: int | None = None,
        limit: int = 10,
    ) -> Leaderboard:
        start = period_key(period, self.clock.now())

        rows, own = await self.db.run(
            lambda conn: leaderboard(conn, platform, workspace, period, start, limit, me)
        )
        return Leaderboard(period, rows, own)

    async def _apply(self, session_id: str, operation: Operation[T]) -> tuple[SessionState, T]:
        """Load, transform and save in one transaction; a refusal is raised after commit."""
        now = self.clock.now()

        @row_locked  # save_run writes the player's row first: no SSI needed (issue 16)
        def work(conn: sqlite3.Connection) -> Step[T]:
            before = self.load_run(conn, session_id)
            return self._step_in(conn, before, 0, lambda state, _, t: operation(state, t), now)

        step = await self.db.transact(work)
        if step.error is not None:
            raise step.error
        return step.after, step.result  # type: ignore[return-value]

    def expire_in(self, conn: sqlite3.Connection, before: SessionState, now: float) -> SessionState:
        """Close a run's question whose deadline passed, and save it (inside `conn`'s work)."""
        after = game.expire(before, self.pack(before.pack_id), now)
        if after != before:
            after = self._on_finish(conn, before, after)
            self.save_run(conn, before, after, now)
        return after

    def _award_once(
        self, conn: sqlite3.Connection, before: SessionState, after: SessionState, now: float
    ) -> SessionState:
        """No points for a problem this learner already scored this week (bot/engine/repeats)."""
        pointed = newly_pointed(before, after)
        if not pointed:
            return after
        since = award_window_start(now)
        already = scored_since(conn, after.player_id, after.pack_id, pointed, since)
        return withhold_repeats(before, after, already) if already else after

    def _on_finish(
        self, conn: sqlite3.Connection, before: SessionState, after: SessionState
    ) -> SessionState:
        """A daily challenge run that just ended may reach a streak milestone badge."""
        if not after.is_finished or before.is_finished:
            return after
        daily = daily_of_session(conn, after.id)
        if daily is None or not all(q.outcome not in (None, "skipped") for q in after.questions):
            return after
        today = date.fromisoformat(daily.local_date)
        reached = record_completed_day(
            conn, after.player_id, daily.platform, daily.workspace, today
        )
        return game.add_badges(after, streak_badges(reached, self.pack(after.pack_id)))

    def load_run(self, conn: sqlite3.Connection, session_id: str) -> SessionState:
        """A run, read inside the caller's database work (cached per connection), with
        its variants made resolvable."""
        session = load_session(conn, session_id, self.db.session_cache)
        self.variants.load_in(conn, session.pack_id, session.problem_ids)
        return session

    def save_run(
        self,
        conn: sqlite3.Connection,
        before: SessionState | None,
        after: SessionState,
        now: float,
    ) -> None:
        """Persist a run's transition inside the caller's transaction, with what it taught
        the ratings and review cards (same transaction, so they never disagree)."""
        save_session(conn, before, after, now, self.db.session_cache)
        record_learning(conn, before, after, self.pack(after.pack_id), self.db.row_cache)
