"""Personal daily suggestions: a short study set per learner per day, chosen by the models.

Due review cards come first (most overdue first): the learner is about to forget them, so
they are the one kind of repeat that is wanted. The rest are adaptive picks whose predicted
success is nearest the target (about 70 %, bot/engine/adaptive.py), from the weakest topic
first, and never a problem seen in the recent window while a fresh one is left. The draw is
seeded by (learner, day, pack), and the service stores the first one made each day, so the
set is the same on every front end all day even as the ratings move.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from problems.model import Problem

from .adaptive import LearnerSnapshot, rank, topic_mastery, weakest_topic
from .modes import RULES

SUGGESTION_SIZE = RULES["suggested"].question_count
# Why a problem is suggested: a due review card, the weakest topic, or simply near the target.
Reason = Literal["review", "weakest", "level"]


@dataclass(frozen=True)
class Suggestion:
    problem_id: str
    reason: Reason
    topic: str
    success: float  # predicted chance of getting it right when it was suggested


def suggestion_seed(player_id: int, local_date: str, pack_id: str) -> int:
    """Stable across processes and restarts (Python's own hash is salted per process)."""
    digest = hashlib.sha256(f"suggest|{player_id}|{local_date}|{pack_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def suggest(
    problems: Sequence[Problem],
    learner: LearnerSnapshot,
    seed: int,
    count: int = SUGGESTION_SIZE,
) -> list[Suggestion]:
    """Up to `count` problems for today: due reviews, then the weakest topic near the target."""
    by_id = {p.id: p for p in problems}
    due = [by_id[i] for i in learner.due if i in by_id][:count]
    chosen = [_suggestion(p, "review", learner) for p in due]
    weakest = weakest_topic(topic_mastery(learner.ratings, [(problems, learner.items)]))
    focus = weakest.topic if weakest is not None else None
    ranked = rank([p for p in problems if p not in due], learner, random.Random(seed))
    # Stable sorts keep the rank inside each group: fresh before recent, focus topic first.
    ranked.sort(key=lambda p: p.topic_name != focus)
    ranked.sort(key=lambda p: p.id in learner.recent)
    for problem in ranked[: max(0, count - len(chosen))]:
        reason: Reason = "weakest" if problem.topic_name == focus else "level"
        chosen.append(_suggestion(problem, reason, learner))
    return chosen


def _suggestion(problem: Problem, reason: Reason, learner: LearnerSnapshot) -> Suggestion:
    return Suggestion(problem.id, reason, problem.topic_name, learner.success(problem))
