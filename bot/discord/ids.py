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
    a.EditSnippet: "re",
    a.EditLiveSnippet: "le",
    a.ReopenDraft: "rd",
}
_ACTIONS = {prefix: action for action, prefix in PREFIXES.items()}
_PART = re.compile(r"[0-9A-Za-z_-]{1,40}")


# The Edit & run modal: `lrq:rs` for a free snippet, `lrq:rs:<run>:<index>` for a question's.
SNIPPET_MODAL = "lrq:rs"
CODE_INPUT = "code"


def modal_id(session_id: str | None, index: int | None) -> str:
    if session_id is None or index is None:
        return SNIPPET_MODAL
    return f"{SNIPPET_MODAL}:{session_id}:{index}"


def read_modal(custom_id: str, code: str) -> a.RunSnippet | None:
    """The submission a modal stands for, or None for a modal this bot never made."""
    if custom_id == SNIPPET_MODAL:
        return a.RunSnippet(code)
    parts = custom_id.split(":")
    if len(parts) != 4 or ":".join(parts[:2]) != SNIPPET_MODAL:
        return None
    if not _PART.fullmatch(parts[2]) or not parts[3].isdigit():
        return None
    return a.RunSnippet(code, parts[2], int(parts[3]))


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
