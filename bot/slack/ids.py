"""Button action ids and values. Values carry only ids, so a click still works after a restart.

Everything else a click needs (the question, attempts, the deadline) is read back from
SQLite by the game service; nothing here encodes game state.
"""

from __future__ import annotations

import re

ANSWER = "lrquiz_answer_"  # + letter; value "<session id>:<question index>"
HINT = "lrquiz_hint"  # value "<session id>:<question index>"
NEXT = "lrquiz_next"  # value "<session id>"
QUIT = "lrquiz_quit"  # value "<session id>"
LIVE_ANSWER = "lrquiz_live_"  # + letter; value "<live id>"
LIVE_HINT = "lrquiz_livehint"  # value "<live id>"
DAILY_START = "lrquiz_daily_start"  # value "<daily id>"
DAILY_BOARD = "lrquiz_daily_board"  # value "<daily id>"
SUGGEST_START = "lrquiz_suggest_start"  # value "<local date the list was for>"
EDIT = "lrquiz_edit"  # Edit & run on a reveal; value "<session id>:<question index>"
LIVE_EDIT = "lrquiz_live_edit"  # Edit & run on a closed live question; value "<live id>"
REOPEN = "lrquiz_reopen"  # the editor again with the clicker's own draft; value "draft"
# The Edit & run modal: its callback id, and the block and action ids of its one input.
# private_metadata carries the question (session id and index) and the channel, as JSON.
SNIPPET_VIEW = "lrquiz_snippet"
CODE_BLOCK = "code"
CODE_INPUT = "code"

# Buttons that only appear on public daily cards, whose message must never be replaced.
CARD_BUTTONS = (DAILY_START, DAILY_BOARD, LIVE_EDIT)

ANSWER_RE = re.compile(r"^lrquiz_answer_([A-D])$")
LIVE_ANSWER_RE = re.compile(r"^lrquiz_live_([A-D])$")


def question_value(session_id: str, index: int) -> str:
    return f"{session_id}:{index}"


def parse_question_value(value: str) -> tuple[str, int | None]:
    """(session id, question index); the index is None on a malformed value."""
    session_id, _, index = value.partition(":")
    return session_id, int(index) if index.isdigit() else None
