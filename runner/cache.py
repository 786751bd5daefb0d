"""Result cache: an in-memory LRU in front of SQLite, keyed by everything that shapes output.

A snippet's output depends on its code and seed, the limits it ran under, and the
interpreter (Python, torch build, thread count), so all of those go into the key: a torch
upgrade invalidates every entry without a migration. If the database cannot be opened the
cache keeps working in memory only; a cache must never take the runner down.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import aiosqlite

CACHE_VERSION = 1
MEMORY_ENTRIES = 4096
MAX_ROWS = 200_000
CACHEABLE = ("ok", "error", "output_limit")


def cacheable(raw: dict[str, Any]) -> bool:
    """Only what the snippet itself decided: never a timeout, an out-of-memory kill (both
    depend on load), an infrastructure failure, or anything from a cell left unclean."""
    return raw.get("status") in CACHEABLE and not raw.get("infra")


def default_cache_path() -> Path:
    """``$LRQUIZ_RUNNER_CACHE``, else ``$XDG_DATA_HOME/lrquiz/runner-cache.db``."""
    explicit = os.environ.get("LRQUIZ_RUNNER_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(data_home) / "lrquiz" / "runner-cache.db"


def cache_key(
    code: str, seed: int, timeout_s: float, limits: dict[str, Any], runtime: dict[str, Any]
) -> str:
    material = {
        "v": CACHE_VERSION,
        "code": code,
        "seed": seed,
        "timeout_s": timeout_s,
        "limits": limits,
        "python": runtime.get("python"),
        "torch": runtime.get("torch_build", runtime.get("torch")),
        "threads": runtime.get("threads"),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


class ResultCache:
    """``get``/``put`` of JSON results; ``path=None`` or ``":memory:"`` keeps nothing on disk."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None or str(path) in ("", ":memory:") else Path(path)
        self.memory: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.db: aiosqlite.Connection | None = None
        self.error = ""
        self.pending: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = await aiosqlite.connect(self.path)
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute("PRAGMA synchronous=NORMAL")
            await self.db.execute(
                "CREATE TABLE IF NOT EXISTS results ("
                " key TEXT PRIMARY KEY, result TEXT NOT NULL, created REAL NOT NULL)"
            )
            await self.db.execute(
                "DELETE FROM results WHERE key IN (SELECT key FROM results"
                " ORDER BY created DESC LIMIT -1 OFFSET ?)",
                (MAX_ROWS,),
            )
            await self.db.commit()
        except (OSError, sqlite3.Error) as exc:
            self.error = f"cache database {self.path} unusable, caching in memory only: {exc}"
            print(f"lrquiz runner: {self.error}", file=sys.stderr)
            await self._close_db()

    async def _close_db(self) -> None:
        if self.db is not None:
            with contextlib.suppress(Exception):
                await self.db.close()
        self.db = None

    def _remember(self, key: str, result: dict[str, Any]) -> None:
        self.memory[key] = result
        self.memory.move_to_end(key)
        while len(self.memory) > MEMORY_ENTRIES:
            self.memory.popitem(last=False)

    async def get(self, key: str) -> dict[str, Any] | None:
        hit = self.memory.get(key)
        if hit is not None:
            self.memory.move_to_end(key)
            return hit
        if self.db is None:
            return None
        try:
            async with self.db.execute("SELECT result FROM results WHERE key = ?", (key,)) as cur:
                row = await cur.fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        try:
            result = json.loads(row[0])
        except ValueError:
            return None
        self._remember(key, result)
        return result

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Remember now; write to disk in the background so replies never wait on fsync."""
        self._remember(key, result)
        if self.db is not None:
            task = asyncio.create_task(self._write(key, result))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _write(self, key: str, result: dict[str, Any]) -> None:
        if self.db is None:
            return
        try:
            await self.db.execute(
                "INSERT OR REPLACE INTO results (key, result, created) VALUES (?, ?, ?)",
                (key, json.dumps(result), time.time()),
            )
            await self.db.commit()
        except sqlite3.Error as exc:
            print(f"lrquiz runner: cache write failed: {exc}", file=sys.stderr)

    def info(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path else None,
            "persistent": self.db is not None,
            "memory_entries": len(self.memory),
            "error": self.error or None,
        }

    async def close(self) -> None:
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        await self._close_db()
