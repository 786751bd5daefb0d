"""The game service: engine rules + storage, one transaction per player action.

Front ends (terminal, Discord, Slack) call this and render the engine's views; none of them
holds game state. Each action loads the run, applies a pure engine transition and saves the
difference in one `BEGIN IMMEDIATE` transaction, so the result is committed before the player
is told it and concurrent clicks serialise instead of racing.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from bot.engine import game, live
from bot.engine.badges import badges_of, streak_badges
from bot.engine.clock import Clock, SystemClock
from bot.engine.daily import streak
from bot.engine.errors import QuestionClosed
from bot.engine.game import AnswerResult
from bot.engine.modes import rules_for
from bot.engine.periods import period_key
from bot.engine.repeats import award_window_start, newly_pointed, withhold_repeats
from bot.engine.selection import ADAPTIVE_MODES
from bot.engine.state import SessionState
from bot.engine.stats import StatsView, build_stats
from problems.model import Badge, Pack
from storage.dailies import completed_days, daily_of_session
from storage.database import Database
from storage.leaderboard import LeaderboardRow, leaderboard, refresh_totals
from storage.learning import learner_snapshot, learning_summary, record_learning, scored_since
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
from storage.users import PlayerRef, ensure_user, find_user, get_user

T = TypeVar("T")
Operation = Callable[[SessionState, float], tuple[SessionState, T]]


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
        self.packs = {pack.id: pack for pack in packs}
        self.default_pack_id = packs[0].id
        self.clock = clock or SystemClock()
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
        learner = None
        if mode in ADAPTIVE_MODES:
            learner = await self.db.run(
                lambda conn: learner_snapshot(conn, player_id, pack, now, self.target_success)
            )
        session = game.start(secrets.token_hex(6), player_id, mode, pack, now, chosen_seed, learner)
        await self.db.transact(lambda conn: self.save_run(conn, None, session, now))
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
                after = self._expire_in(conn, before, now)
                if after != before:
                    closed.append(after)
            return closed

        return await self.db.transact(work)

    async def badges(self, player_id: int) -> list[tuple[str, int]]:
        """(badge id, times earned) for everything the player has earned."""
        return await self.db.run(lambda conn: badge_counts(conn, player_id))

    def badge(self, badge_id: str) -> Badge | None:
        """A pack's badge or a built-in one, by id."""
        for pack in self.packs.values():
            for badge in badges_of(pack):
                if badge.id == badge_id:
                    return badge
        return None

    async def stats(self, player_id: int) -> StatsView:
        """Points, accuracy by kind and difficulty, and badges for one player."""

        now = self.clock.now()

        def read(conn: sqlite3.Connection):
            return (
                display_name(conn, player_id),
                problem_tallies(conn, player_id),
                badge_counts(conn, player_id),
                learning_summary(conn, player_id, list(self.packs.values()), now),
            )

        name, tallies, badges, (mastery, recalls) = await self.db.run(read)
        rows = []
        for tally in tallies:
            pack = self.packs.get(tally.pack_id)
            problem = None
            if pack is not None:
                problem = next((p for p in pack.problems if p.id == tally.problem_id), None)
            rows.append((problem, tally.answered, tally.correct, tally.points))
        earned = [(b, n) for badge_id, n in badges if (b := self.badge(badge_id)) is not None]
        return build_stats(name or "?", rows, earned, mastery, recalls)

    # --- live questions ----------------------------------------------------------------

    async def post_live(
        self,
        platform: str,
        workspace: str,
        posted_by: int | None = None,
        pack_id: str | None = None,
        problem_id: str | None = None,
    ) -> live.LiveState:
        """Open a public question now; a random problem from the pack unless one is named."""
        pack = self.pack(pack_id)
        if problem_id is None:
            problem_id = secrets.choice(pack.problems).id
        else:
            try:
                pack.problem(problem_id)
            except KeyError:
                raise ValueError(f"pack {pack.id!r} has no problem {problem_id!r}") from None
        state = live.open_live(secrets.token_hex(6), pack, problem_id, self.clock.now())
        await self.db.transact(
            lambda conn: insert_live(conn, state, platform, workspace, posted_by)
        )
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
                save_live(conn, before, after, now)
                closed.append(after)
            return closed

        return await self.db.transact(work)

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
            save_live(conn, before, after, now)
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

        def read(conn: sqlite3.Connection):
            refresh_totals(conn)
            return leaderboard(conn, platform, workspace, period, start, limit, me)

        rows, own = await self.db.transact(read)
        return Leaderboard(period, rows, own)

    async def _apply(self, session_id: str, operation: Operation[T]) -> tuple[SessionState, T]:
        """Load, transform and save in one transaction.

        A command that arrives after the deadline still closes the question (as expired) in
        storage before the typed error reaches the caller, so the player sees the reveal.
        """
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> tuple[SessionState, T] | QuestionClosed:
            before = self.load_run(conn, session_id)
            try:
                after, result = operation(before, now)
            except QuestionClosed as closed:
                if closed.reason == "expired":
                    self._expire_in(conn, before, now)
                return closed
            after = self._award_once(conn, before, after, now)
            after = self._on_finish(conn, before, after)
            if isinstance(result, AnswerResult) and result.closed:
                result = replace(result, points=after.questions[-1].points)
            if isinstance(result, AnswerResult) and result.finished:
                result = replace(result, new_badges=after.badges)
            self.save_run(conn, before, after, now)
            return after, result

        outcome = await self.db.transact(work)
        if isinstance(outcome, QuestionClosed):
            raise outcome
        return outcome

    def _expire_in(
        self, conn: sqlite3.Connection, before: SessionState, now: float
    ) -> SessionState:
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
        days = completed_days(conn, after.player_id, daily.platform, daily.workspace)
        reached = streak(days | {today}, today)
        return game.add_badges(after, streak_badges(reached, self.pack(after.pack_id)))

    def load_run(self, conn: sqlite3.Connection, session_id: str) -> SessionState:
        """A run, read inside the caller's database work (cached per connection)."""
        return load_session(conn, session_id, self.db.session_cache)

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
        record_learning(conn, before, after, self.pack(after.pack_id))
