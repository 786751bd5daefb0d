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
from dataclasses import dataclass
from typing import TypeVar

from bot.engine import game
from bot.engine.clock import Clock, SystemClock
from bot.engine.errors import QuestionClosed
from bot.engine.game import AnswerResult
from bot.engine.modes import rules_for
from bot.engine.periods import period_start
from bot.engine.state import SessionState
from problems.model import Pack
from storage.database import Database
from storage.leaderboard import LeaderboardRow, leaderboard
from storage.sessions import badge_counts, load_session, save_session, sessions_past_deadline
from storage.users import PlayerRef, ensure_user

T = TypeVar("T")
Operation = Callable[[SessionState, float], tuple[SessionState, T]]


@dataclass(frozen=True)
class Leaderboard:
    period: str
    rows: list[LeaderboardRow]
    own: LeaderboardRow | None


class GameService:
    def __init__(self, db: Database, packs: Sequence[Pack], clock: Clock | None = None) -> None:
        if not packs:
            raise ValueError("at least one problem pack is needed")
        self.db = db
        self.packs = {pack.id: pack for pack in packs}
        self.default_pack_id = packs[0].id
        self.clock = clock or SystemClock()

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

    async def start(
        self, player_id: int, mode: str, pack_id: str | None = None, seed: int | None = None
    ) -> SessionState:
        """A new run with its first question open (and its clock running) in storage."""
        rules_for(mode)  # unknown modes fail before anything is written
        pack = self.pack(pack_id)
        now = self.clock.now()
        chosen_seed = secrets.randbits(32) if seed is None else seed
        session = game.start(secrets.token_hex(6), player_id, mode, pack, now, chosen_seed)
        await self.db.transact(lambda conn: self._save(conn, None, session, now))
        return session

    async def session(self, session_id: str) -> SessionState:
        return await self.db.run(lambda conn: self._load(conn, session_id))

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

    async def close_expired(self) -> list[SessionState]:
        """Close every question whose deadline passed, e.g. while the bot was down."""
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> list[SessionState]:
            closed = []
            for session_id in sessions_past_deadline(conn, now):
                before = self._load(conn, session_id)
                after = game.expire(before, self.pack(before.pack_id), now)
                if after != before:
                    self._save(conn, before, after, now)
                    closed.append(after)
            return closed

        return await self.db.transact(work)

    async def badges(self, player_id: int) -> list[tuple[str, int]]:
        """(badge id, times earned) for everything the player has earned."""
        return await self.db.run(lambda conn: badge_counts(conn, player_id))

    async def leaderboard(
        self,
        platform: str,
        workspace: str,
        period: str = "all",
        me: int | None = None,
        limit: int = 10,
    ) -> Leaderboard:
        since = period_start(period, self.clock.now())
        rows, own = await self.db.run(
            lambda conn: leaderboard(conn, platform, workspace, since, limit, me)
        )
        return Leaderboard(period, rows, own)

    async def _apply(self, session_id: str, operation: Operation[T]) -> tuple[SessionState, T]:
        """Load, transform and save in one transaction.

        A command that arrives after the deadline still closes the question (as expired) in
        storage before the typed error reaches the caller, so the player sees the reveal.
        """
        now = self.clock.now()

        def work(conn: sqlite3.Connection) -> tuple[SessionState, T] | QuestionClosed:
            before = self._load(conn, session_id)
            try:
                after, result = operation(before, now)
            except QuestionClosed as closed:
                if closed.reason == "expired":
                    expired = game.expire(before, self.pack(before.pack_id), now)
                    self._save(conn, before, expired, now)
                return closed
            self._save(conn, before, after, now)
            return after, result

        outcome = await self.db.transact(work)
        if isinstance(outcome, QuestionClosed):
            raise outcome
        return outcome

    def _load(self, conn: sqlite3.Connection, session_id: str) -> SessionState:
        return load_session(conn, session_id, self.db.session_cache)

    def _save(
        self,
        conn: sqlite3.Connection,
        before: SessionState | None,
        after: SessionState,
        now: float,
    ) -> None:
        save_session(conn, before, after, now, self.db.session_cache)
