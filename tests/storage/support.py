"""Helpers for tests that drive GameService against a real database, a SQLite file or a
PostgreSQL URL (also used by tests/test_service.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.engine.clock import FakeClock
from bot.service import GameService
from problems.model import Pack
from storage.factory import AnyDatabase, is_postgres, open_database
from storage.users import PlayerRef
from tests.factories import make_pack

T0 = 1_780_000_000.0  # Thursday 2026-05-28 20:26:40 UTC


def ref(name: str, platform: str = "terminal", workspace: str = "local") -> PlayerRef:
    return PlayerRef(platform, workspace, f"id-{name}", name)


def connect(path: Path | str) -> Any:
    """A separate plain connection (what another process would see): sqlite3, or for a
    PostgreSQL URL the engine's connection, which takes the same SQL."""
    if is_postgres(path):
        from storage.pg_connection import PgConnection

        return PgConnection.connect(str(path))
    return sqlite3.connect(path, isolation_level=None)


def query(path: Path | str, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Read with a separate connection; also runs a write outside any transaction."""
    conn = connect(path)
    try:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def scalar(path: Path | str, sql: str, params: Sequence[Any] = ()) -> Any:
    return query(path, sql, params)[0][0]


class Services:
    """Opens GameServices (each with its own Database connection) and closes them all."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._open: list[AnyDatabase] = []

    async def open(
        self,
        path: Path | str,
        packs: Sequence[Pack] | None = None,
        clock: FakeClock | None = None,
    ) -> GameService:
        db = await open_database(path)
        self._open.append(db)
        return GameService(db, packs or [make_pack()], clock or self.clock)

    async def close(self, service: GameService) -> None:
        self._open.remove(service.db)
        await service.db.close()

    async def aclose(self) -> None:
        for db in self._open:
            await db.close()
        self._open.clear()


async def play_question(
    service: GameService,
    session_id: str,
    player: int,
    letters: Sequence[str],
    step: float = 1.0,
):
    """Answer the current question with `letters`, moving the clock `step` before each."""
    state = result = None
    for letter in letters:
        service.clock.advance(step)
        state, result = await service.answer(session_id, player, letter)
    return state, result


async def play_run(service: GameService, session_id: str, player: int, letters_for) -> Any:
    """Play a whole run; `letters_for(problem)` gives the letters for each question."""
    state = await service.session(session_id)
    pack = service.pack(state.pack_id)
    for index in range(state.total):
        if index:
            service.clock.advance(1)
            state = await service.advance(session_id, player)
        problem = pack.problem(state.current.problem_id)
        state, _ = await play_question(service, session_id, player, letters_for(problem))
    return state
