"""Result cache: an in-memory LRU in front of SQLite, keyed by everything that shapes output.

Both tiers are bounded in bytes, not entries: a crafted snippet can make its result
~700 KB, so a count bound is no bound. Memory evicts least recently used; disk evicts
oldest first (SQLite reuses the freed pages, so the file stops growing at the bound).

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
MEMORY_BYTES = 64 * 1024 * 1024
DISK_BYTES = 512 * 1024 * 1024
EVICT_TO = 0.9  # evict down to 90% of the bound, so eviction runs rarely and in batches
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

    def __init__(
        self,
        path: str | Path | None,
        memory_bytes: int = MEMORY_BYTES,
        disk_bytes: int = DISK_BYTES,
    ) -> None:
        self.path = None if path is None or str(path) in ("", ":memory:") else Path(path)
        self.memory: OrderedDict[str, tuple[dict[str, Any], int]] = OrderedDict()
        self.memory_bytes = memory_bytes
        self.memory_used = 0
        self.disk_bytes = disk_bytes
        self.disk_used = 0
        self.writes = 0
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
            async with self.db.execute("PRAGMA table_info(results)") as cur:
                columns = {row[1] for row in await cur.fetchall()}
            if "size" not in columns:  # a cache from before the byte bound
                await self.db.execute(
                    "ALTER TABLE results ADD COLUMN size INTEGER NOT NULL DEFAULT 0"
                )
                await self.db.execute("UPDATE results SET size = length(result)")
            await self.db.execute("CREATE INDEX IF NOT EXISTS results_created ON results (created)")
            await self._count_disk()
            await self._evict_disk()
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

    async def _count_disk(self) -> None:
        assert self.db is not None
        async with self.db.execute("SELECT COALESCE(SUM(size), 0) FROM results") as cur:
            row = await cur.fetchone()
        self.disk_used = int(row[0]) if row else 0

    async def _evict_disk(self) -> None:
        """Delete the oldest rows, as few as bring the table under 90% of its bound."""
        assert self.db is not None
        if self.disk_used <= self.disk_bytes:
            return
        excess = self.disk_used - int(self.disk_bytes * EVICT_TO)
        await self.db.execute(
            "DELETE FROM results WHERE key IN (SELECT key FROM (SELECT key,"
            " SUM(size) OVER (ORDER BY created, key ROWS UNBOUNDED PRECEDING) - size AS older"
            " FROM results) WHERE older < ?)",
            (excess,),
        )
        await self._count_disk()

    def _remember(self, key: str, result: dict[str, Any], size: int) -> None:
        old = self.memory.pop(key, None)
        if old is not None:
            self.memory_used -= old[1]
        if size > self.memory_bytes:
            return
        self.memory[key] = (result, size)
        self.memory_used += size
        while self.memory_used > self.memory_bytes:
            _, (_, evicted) = self.memory.popitem(last=False)
            self.memory_used -= evicted

    async def get(self, key: str) -> dict[str, Any] | None:
        hit = self.memory.get(key)
        if hit is not None:
            self.memory.move_to_end(key)
            return hit[0]
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
        self._remember(key, result, len(row[0]))
        return result

    def put(self, key: str, result: dict[str, Any]) -> None:
        """Remember now; write to disk in the background so replies never wait on fsync."""
        text = json.dumps(result)
        self._remember(key, result, len(text))
        if self.db is not None:
            task = asyncio.create_task(self._write(key, text))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    async def _write(self, key: str, text: str) -> None:
        if self.db is None or len(text) > self.disk_bytes:
            return
        try:
            async with self.db.execute("SELECT size FROM results WHERE key = ?", (key,)) as cur:
                old = await cur.fetchone()
            await self.db.execute(
                "INSERT OR REPLACE INTO results (key, result, created, size) VALUES (?, ?, ?, ?)",
                (key, text, time.time(), len(text)),
            )
            self.disk_used += len(text) - (int(old[0]) if old else 0)
            self.writes += 1
            if self.writes % 256 == 0:  # another runner may share the file: recount now and then
                await self._count_disk()
            await self._evict_disk()
            await self.db.commit()
        except sqlite3.Error as exc:
            print(f"lrquiz runner: cache write failed: {exc}", file=sys.stderr)

    def info(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path else None,
            "persistent": self.db is not None,
            "memory_entries": len(self.memory),
            "memory_bytes": self.memory_used,
            "memory_limit_bytes": self.memory_bytes,
            "disk_bytes": self.disk_used if self.db is not None else 0,
            "disk_limit_bytes": self.disk_bytes,
            "error": self.error or None,
        }

    async def close(self) -> None:
        if self.pending:
            await asyncio.gather(*self.pending, return_exceptions=True)
        await self._close_db()
