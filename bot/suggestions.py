"""Personal daily suggestions: today's short study set for one learner, and its run.

The first request of a learner's day (showing it, or starting it, on any front end) draws
the set from the learning models (bot/engine/suggest.py) and stores it; every later request
that day reads the stored set, so it stays the same everywhere while the ratings move. The
set is played once as an untimed, unscored `suggested` run; an unfinished run resumes.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from bot.engine import game
from bot.engine.errors import GameError
from bot.engine.state import SessionState
from bot.engine.suggest import suggest, suggestion_seed
from bot.service import Delivery, Describe, GameService, Step
from problems.model import Pack
from storage.learning import learner_snapshot
from storage.suggestions import DailySuggestion, attach_session, get_suggestion, insert_suggestion

MODE = "suggested"


class SuggestionDone(GameError):
    def __init__(self) -> None:
        super().__init__(
            "You already did today's suggestions. New ones come tomorrow; "
            "review or practice meanwhile."
        )


@dataclass(frozen=True)
class TodaysSuggestion:
    """The day's set and the run playing it (None before it is started)."""

    suggestion: DailySuggestion
    run: SessionState | None

    @property
    def status(self) -> str:
        if self.run is None:
            return "new"
        return "done" if self.run.is_finished else "started"


class Suggestions:
    def __init__(self, service: GameService) -> None:
        self.service = service

    async def show_for(
        self, delivery: Delivery, local_date: str, describe: Describe, pack_id: str | None = None
    ) -> Step[None]:
        """Today's set for whoever asked (drawn and stored on the day's first request)."""
        pack = self.service.pack(pack_id)

        def apply(conn: sqlite3.Connection, player_id: int, now: float) -> Step[None]:
            today = self.today_in(conn, player_id, local_date, pack, now)
            run = self.service.load_run(conn, today.session_id) if today.session_id else None
            return Step(player_id, None, TodaysSuggestion(today, run))

        return await self.service.delivered(delivery, "suggest", describe, apply)

    async def start_for(
        self, delivery: Delivery, local_date: str, describe: Describe, pack_id: str | None = None
    ) -> Step[None]:
        """Play today's set: a new run, or the unfinished one; refused once it is done."""
        service, pack = self.service, self.service.pack(pack_id)

        def apply(conn: sqlite3.Connection, player_id: int, now: float) -> Step[None]:
            today = self.today_in(conn, player_id, local_date, pack, now)
            if today.session_id is not None:
                session = service.load_run(conn, today.session_id)
                if session.is_finished:
                    return Step(player_id, error=SuggestionDone())
                resumed = True
            else:
                # A problem edited out of the pack since the morning is left out.
                ids = [pid for pid in today.problem_ids if _has(pack, pid)]
                session = game.start_with(secrets.token_hex(6), player_id, MODE, pack, ids, now)
                service.save_run(conn, None, session, now)
                attach_session(conn, today, session.id)
                resumed = False
            service.remember_reply_in(conn, delivery, session.id, now)
            return Step(player_id, session if resumed else None, session)

        return await service.delivered(delivery, "suggest-start", describe, apply)

    def today_in(
        self, conn: sqlite3.Connection, player_id: int, local_date: str, pack: Pack, now: float
    ) -> DailySuggestion:
        found = get_suggestion(conn, player_id, local_date, pack.id)
        if found is not None:
            return found
        learner = learner_snapshot(conn, player_id, pack, now, self.service.target_success)
        seed = suggestion_seed(player_id, local_date, pack.id)
        drawn = DailySuggestion(
            player_id, local_date, pack.id, tuple(suggest(pack.problems, learner, seed))
        )
        insert_suggestion(conn, drawn, now)
        return drawn


def _has(pack: Pack, problem_id: str) -> bool:
    return any(p.id == problem_id for p in pack.problems)
