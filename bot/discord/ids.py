"""Button custom ids: everything a click needs to find its state in SQLite, and nothing else.

Buttons outlive the process that sent them, so an id names the run (and the question it was
drawn for), the live question or the daily challenge card; the handler reloads the rest
from storage. The templates are mutually exclusive because discord.py dispatches a click
to every template it matches. Discord allows 100 characters; these stay well under.
"""

from __future__ import annotations

_ID = r"[0-9A-Za-z_-]{1,40}"

RUN_ANSWER = rf"lrq:ra:(?P<session>{_ID}):(?P<index>[0-9]{{1,3}}):(?P<letter>[A-Z])"
RUN_HINT = rf"lrq:rh:(?P<session>{_ID}):(?P<index>[0-9]{{1,3}})"
RUN_NEXT = rf"lrq:rn:(?P<session>{_ID})"
RUN_QUIT = rf"lrq:rq:(?P<session>{_ID})"
LIVE_ANSWER = rf"lrq:la:(?P<live>{_ID}):(?P<letter>[A-Z])"
LIVE_HINT = rf"lrq:lh:(?P<live>{_ID})"
DAILY_START = rf"lrq:ds:(?P<daily>{_ID})"
DAILY_BOARD = rf"lrq:db:(?P<daily>{_ID})"


def run_answer(session_id: str, index: int, letter: str) -> str:
    return f"lrq:ra:{session_id}:{index}:{letter}"


def run_hint(session_id: str, index: int) -> str:
    return f"lrq:rh:{session_id}:{index}"


def run_next(session_id: str) -> str:
    return f"lrq:rn:{session_id}"


def run_quit(session_id: str) -> str:
    return f"lrq:rq:{session_id}"


def live_answer(live_id: str, letter: str) -> str:
    return f"lrq:la:{live_id}:{letter}"


def live_hint(live_id: str) -> str:
    return f"lrq:lh:{live_id}"


def daily_start(daily_id: str) -> str:
    return f"lrq:ds:{daily_id}"


def daily_board(daily_id: str) -> str:
    return f"lrq:db:{daily_id}"
