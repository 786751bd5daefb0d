"""`lrquiz run slack [--http] [--port N]` (filled in by the Slack adapter)."""

from __future__ import annotations

from typing import Any


def register(commands: Any, run_platforms: Any) -> None:
    """Add this front end's commands; import slack_bolt only inside the handlers."""
