"""The learning models' storage side: update ratings and review cards inside the
transaction that scores an answer, rebuild them from the stored answers, and read what
adaptive selection needs.

Online updates and `rebuild_learning` both go through `apply_evidence`, in the order the
answers were scored (the `scores` row id), so a rebuild reproduces the online tables.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine.adaptive import DEFAULT_TARGET, LearnerSnapshot, TopicMastery, topic_mastery
from bot.engine.evidence import Evidence, newly_closed, newly_scored_live
from bot.engine.live import LiveState
from bot.engine.ratings import answer_score
from bot.engine.review import due_at, recall, review, review_rating
from bot.engine.state import SessionState
from problems.model import Pack, Problem
from problems.variants import rated_as

from .ratings import fold_item_evidence, item_ratings, learner_ratings, record_rating
from .reviews import due_problems, get_card, learner_cards, put_card
from .row_cache import RowCache
from .variants import resolve_problem

# The rebuild folds the item queue this often, so reading an item never adds up many rows.
REBUILD_FOLD_EVERY = 64
# "Seen recently" for selection: the last 7 days, so a learner meets fresh problems first.
RECENT_WINDOW_S = 7 * 24 * 3600.0


def record_learning(
    conn: sqlite3.Connection,
    before: SessionState | None,
    after: SessionState,
    pack: Pack,
    cache: RowCache | None = None,
) -> None:
    """Fold every question that closed in `before -> after` into ratings and review cards.

    A problem the pack no longer has (edited while a run was open) is left out, as the
    rebuild leaves it out, rather than failing the answer or the deadline sweep.
    """
    for evidence in newly_closed(before, after):
        problem = resolve_problem(conn, pack, evidence.problem_id)
        if problem is not None:
            apply_evidence(conn, after.player_id, pack.id, problem, evidence, cache)


def record_live_learning(
    conn: sqlite3.Connection,
    before: LiveState,
    after: LiveState,
    pack: Pack,
    cache: RowCache | None = None,
) -> None:
    """Fold a live question that closed in `before -> after` into every answerer's ratings
    and review card, as a run's closing answer is (the live score rows are written first)."""
    scored = newly_scored_live(before, after)
    if scored:
        problem = pack.problem(after.problem_id)  # closing it needed the problem too
        for player_id, evidence in scored:
            apply_evidence(conn, player_id, pack.id, problem, evidence, cache)


def apply_evidence(
    conn: sqlite3.Connection,
    user_id: int,
    pack_id: str,
    problem: Problem,
    evidence: Evidence,
    cache: RowCache | None = None,
) -> None:
    at = evidence.at
    # A variant moves its template's difficulty; its review card stays its own.
    record_rating(conn, user_id, pack_id, rated_as(problem), answer_score(evidence), at, cache)
    card = get_card(conn, user_id, pack_id, problem.id, cache)
    card = review(card, review_rating(evidence, problem), at)
    put_card(conn, user_id, pack_id, problem.id, card, at, cache)


@dataclass(frozen=True)
class Rebuilt:
    answers: int
    learners: int
    skipped: int  # answers to problems no loaded pack has any more


# Every scored answer, runs' and live questions', in the order it was scored (and learned):
# (score id, user, pack, problem, outcome, hint, tries, opened, answered, closed).
_REPLAY = """
SELECT s.id, r.user_id, r.pack_id, q.problem_id, q.outcome, q.hint_used,
       (SELECT COUNT(*) FROM attempts a WHERE a.session_id = q.session_id AND a.idx = q.idx),
       q.opened_at, q.closed_at, q.closed_at
FROM scores s
JOIN questions q ON q.session_id = s.session_id AND q.idx = s.idx
JOIN sessions r ON r.id = s.session_id
WHERE s.session_id IS NOT NULL
UNION ALL
SELECT s.id, s.user_id, l.pack_id, l.problem_id,
       CASE WHEN la.correct = 1 THEN 'correct' ELSE 'wrong' END, la.hint_used, 1,
       l.opened_at, la.answered_at, l.closed_at
FROM scores s
JOIN live_questions l ON l.id = s.live_id
JOIN live_answers la ON la.live_id = s.live_id AND la.user_id = s.user_id
WHERE s.live_id IS NOT NULL
ORDER BY 1
"""


def rebuild_learning(
    conn: sqlite3.Connection, packs: Sequence[Pack], cache: RowCache | None = None
) -> Rebuilt:
    """Recompute every rating and review card from the answers; inside a write transaction.

    Pass the connection's cache (Database.row_cache) if it has one: the tables are emptied
    behind it, so it is cleared first and refilled by the replay.
    """
    by_pack = {pack.id: {p.id: p for p in pack.problems} for pack in packs}
    packs_by_id = {pack.id: pack for pack in packs}
    if cache is not None:
        cache.clear()
    for table in ("learner_ratings", "item_ratings", "item_evidence", "review_cards"):
        conn.execute(f"DELETE FROM {table}")
    answers = skipped = 0
    learners: set[int] = set()
    rows = conn.execute(_REPLAY).fetchall()
    for _, user_id, pack_id, problem_id, outcome, hint, tries, opened, answered, closed in rows:
        problem = by_pack.get(pack_id, {}).get(problem_id)
        if problem is None and pack_id in packs_by_id:  # a stored variant
            problem = resolve_problem(conn, packs_by_id[pack_id], problem_id)
            if problem is not None:
                by_pack[pack_id][problem_id] = problem
        if problem is None:
            skipped += 1
            continue
        # As Evidence.of / Evidence.of_live compute them, so the floats match exactly.
        at = closed if closed is not None else opened
        thought = (answered if answered is not None else opened) - opened
        evidence = Evidence(problem_id, outcome, tries, bool(hint), max(0.0, thought), at)
        apply_evidence(conn, user_id, pack_id, problem, evidence, cache)
        answers += 1
        learners.add(user_id)
        if answers % REBUILD_FOLD_EVERY == 0:
            fold_item_evidence(conn)
    fold_item_evidence(conn)
    return Rebuilt(answers, len(learners), skipped)


def recent_problems(conn: sqlite3.Connection, user_id: int, pack_id: str, since: float) -> set[str]:
    """Problems the learner met since `since`: in their runs, or answered live."""
    return {
        row[0]
        for row in conn.execute(
            "SELECT q.problem_id FROM sessions s JOIN questions q ON q.session_id = s.id "
            "WHERE s.user_id = ? AND s.started_at >= ? AND s.pack_id = ? "
            "UNION SELECT l.problem_id FROM live_answers a "
            "JOIN live_questions l ON l.id = a.live_id "
            "WHERE a.user_id = ? AND a.answered_at >= ? AND l.pack_id = ?",
            (user_id, since, pack_id, user_id, since, pack_id),
        )
    }


def learner_snapshot(
    conn: sqlite3.Connection,
    user_id: int,
    pack: Pack,
    now: float,
    target: float = DEFAULT_TARGET,
) -> LearnerSnapshot:
    """Ratings, item difficulties, recently seen and due problems, for choosing a run."""
    return LearnerSnapshot(
        ratings=learner_ratings(conn, user_id),
        items=item_ratings(conn, pack.id),
        recent=frozenset(recent_problems(conn, user_id, pack.id, now - RECENT_WINDOW_S)),
        due=tuple(due_problems(conn, user_id, pack.id, now)),
        target=target,
    )


def scored_since(
    conn: sqlite3.Connection, user_id: int, pack_id: str, problem_ids: Sequence[str], since: float
) -> set[str]:
    """Which of `problem_ids` already earned this learner points since `since`."""
    return {
        problem_id
        for problem_id in problem_ids
        if conn.execute(
            "SELECT 1 FROM scores WHERE user_id = ? AND pack_id = ? AND problem_id = ? "
            "AND scored_at >= ? AND points > 0 AND session_id IS NOT NULL LIMIT 1",
            (user_id, pack_id, problem_id, since),
        ).fetchone()
    }


def learning_summary(
    conn: sqlite3.Connection, user_id: int, packs: Sequence[Pack], now: float
) -> tuple[list[TopicMastery], list[tuple[float, bool]]]:
    """Mastery per topic over the loaded packs, and (recall now, due now) per review card."""
    ratings = learner_ratings(conn, user_id)
    mastery = topic_mastery(ratings, [(p.problems, item_ratings(conn, p.id)) for p in packs])
    recalls = [(recall(card, now), due_at(card) <= now) for card in learner_cards(conn, user_id)]
    return mastery, recalls
