"""`--shard-count N --shard-ids I,J`: which of the bot's gateway shards this process runs.

A large bot splits its servers over shards (Discord routes a server's events to shard
`(guild_id >> 22) % shard_count`), and each process connects only the shards it is given,
so several processes on one PostgreSQL database share the load. Everything two processes
must agree on (attempts, schedule claims, closing deadlines) is decided in the database, so
no process needs to know about the others. Without the flags, discord.py asks Discord for
the recommended count and runs every shard here.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

COUNT_ENV = "LRQUIZ_DISCORD_SHARD_COUNT"
IDS_ENV = "LRQUIZ_DISCORD_SHARD_IDS"


@dataclass(frozen=True)
class Shards:
    count: int | None = None  # None: Discord's recommendation, every shard in this process
    ids: tuple[int, ...] | None = None  # None: all of 0..count-1

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for discord.AutoShardedClient."""
        options: dict[str, Any] = {}
        if self.count is not None:
            options["shard_count"] = self.count
        if self.ids is not None:
            options["shard_ids"] = list(self.ids)
        return options


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard-count",
        default=None,
        metavar="N",
        help=f"total number of shards across all processes (default: ${COUNT_ENV}, "
        "else Discord's recommendation)",
    )
    parser.add_argument(
        "--shard-ids",
        default=None,
        metavar="I,J",
        help=f"the shards this process runs, e.g. 0,1 (default: ${IDS_ENV}, else all; "
        "needs --shard-count)",
    )


def wanted(args: argparse.Namespace) -> Shards:
    """The shards from the flags, else the environment; ValueError naming a bad value."""
    count_text = _given(args.shard_count, COUNT_ENV)
    ids_text = _given(args.shard_ids, IDS_ENV)
    count = None
    if count_text is not None:
        count = _number(count_text, "--shard-count")
        if count < 1:
            raise ValueError(f"--shard-count must be at least 1, not {count}")
    if ids_text is None:
        return Shards(count)
    if count is None:
        raise ValueError("--shard-ids needs --shard-count (the total across all processes)")
    ids = tuple(_number(part, "--shard-ids") for part in ids_text.split(","))
    outside = [i for i in ids if not 0 <= i < count]
    if outside:
        raise ValueError(f"--shard-ids: {outside[0]} is not a shard of 0..{count - 1}")
    if len(set(ids)) != len(ids):
        raise ValueError(f"--shard-ids: a shard is listed twice in {ids_text!r}")
    return Shards(count, ids)


def _given(flag: str | None, env: str) -> str | None:
    text = flag if flag is not None else os.environ.get(env, "")
    return text.strip() or None


def _number(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{what}: not a whole number: {text.strip()!r}") from None
