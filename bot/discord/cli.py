"""`lrquiz run discord` and `lrquiz discord sync` (filled in by the Discord adapter)."""

from __future__ import annotations

from typing import Any


def register(commands: Any, run_platforms: Any) -> None:
    """Add this front end's commands; import discord.py only inside the handlers."""
