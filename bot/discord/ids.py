"""Button custom ids: the button's action written into it, and read back from a click.

Buttons outlive the process that sent them, so an id holds the whole action (the run and
the question it was drawn for, the live question, the daily card) and nothing else; the
conversation reloads the rest from storage. `lrq:ra:<run>:<index>:<letter>` and friends,
well under Discord's 100 characters.
"""

from __future__ import annotations

import dataclasses
import re

from bot.conversation import actions as a

PREFIXES: dict[type, str] = {
    a.Answer: "ra",
    a.Hint: "rh",
    a.Next: "rn",
    a.Quit: "rq",
    a.LiveAnswer: "la",
    a.LiveHint: "lh",
    a.StartDaily: "ds",
    a.DailyLeaderboard: "db",
    a.StartSuggested: "ss",
}
_ACTIONS = {prefix: action for action, prefix in PREFIXES.items()}
_PART = re.compile(r"[0-9A-Za-z_-]{1,40}")


def custom_id(action: a.Action) -> str:
    values = [str(value) for value in dataclasses.astuple(action)]  # type: ignore[call-overload]
    return ":".join(["lrq", PREFIXES[type(action)], *values])


def read(custom_id: str) -> a.Action | None:
    """The action a button stands for, or None for an id this bot never made."""
    parts = custom_id.split(":")
    action = _ACTIONS.get(parts[1]) if len(parts) > 1 and parts[0] == "lrq" else None
    if action is None:
        return None
    values = parts[2:]
    fields = dataclasses.fields(action)
    if len(values) != len(fields) or not all(_PART.fullmatch(v) for v in values):
        return None
    parsed: dict[str, object] = {}
    for field, value in zip(fields, values, strict=True):
        if field.name == "index" and not value.isdigit():
            return None
        parsed[field.name] = int(value) if field.name == "index" else value
    return action(**parsed)
