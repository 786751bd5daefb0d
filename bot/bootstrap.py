"""Wiring shared by every front end: database, packs and the game service."""

from __future__ import annotations

from pathlib import Path

from bot.engine.clock import Clock
from bot.service import GameService
from problems.loader import default_packs, load_packs
from storage.database import Database
from storage.paths import default_db_path


async def open_service(
    db_path: str | Path | None = None,
    pack_paths: list[str] | None = None,
    clock: Clock | None = None,
) -> GameService:
    """Open (and migrate) the database and load packs; PackError/StorageError on bad input.

    Packs load first, so a bad pack never opens, let alone migrates, a database.
    """
    packs = load_packs(pack_paths) if pack_paths else default_packs()
    db = await Database.open(db_path or default_db_path())
    return GameService(db, packs, clock)
