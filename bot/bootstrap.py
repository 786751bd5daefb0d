"""Wiring shared by every front end: database, packs and the game service."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from bot.engine.clock import Clock
from bot.real_output import Runner
from bot.service import GameService
from problems.loader import default_packs, load_packs
from storage.errors import StorageError
from storage.factory import open_database
from storage.paths import default_db_path


async def open_service(
    db_path: str | Path | None = None,
    pack_paths: list[str] | None = None,
    clock: Clock | None = None,
    pack_id: str | None = None,
) -> GameService:
    """Open (and migrate) the database and load packs; PackError/StorageError on bad input.

    Packs (and the wanted pack id) are checked first, so bad input never opens, let alone
    migrates, a database.
    """
    packs = load_packs(pack_paths) if pack_paths else default_packs()
    if pack_id is not None and pack_id not in {pack.id for pack in packs}:
        known = ", ".join(sorted(pack.id for pack in packs))
        raise ValueError(f"unknown pack {pack_id!r}; loaded packs: {known}")
    if db_path is not None and not str(db_path).strip():
        raise StorageError("the database path is empty; give a file path or leave it out")
    db = await open_database(db_path or default_db_path())
    return GameService(db, packs, clock)


@contextlib.asynccontextmanager
async def open_runner(url: str | None) -> AsyncIterator[Runner | None]:
    """The runner client for real output: `url`, else $LRQUIZ_RUNNER_URL, else a local
    runner started in the background; None when switched off ('off') or not installed."""
    url = url or os.environ.get("LRQUIZ_RUNNER_URL") or None
    if url == "off":
        yield None
        return
    try:
        from runner.local import runner_client
    except ImportError:
        yield None
        return
    async with runner_client(url) as client:
        yield client
