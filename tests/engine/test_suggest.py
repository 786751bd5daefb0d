"""Personal daily suggestions: due reviews first, then the weakest topic near the target,
nothing seen recently while fresh problems remain, and the same draw for the same day."""

from __future__ import annotations

from bot.engine.adaptive import LearnerSnapshot
from bot.engine.ratings import LearnerRatings, Rating
from bot.engine.selection import select_problems
from bot.engine.suggest import SUGGESTION_SIZE, suggest, suggestion_seed

from .test_adaptive import bank, spread_items

SEED = suggestion_seed(7, "2026-12-02", "bank")


def weak_in_debug(items: dict[str, Rating], **extra) -> LearnerSnapshot:
    """Good overall, clearly weak at debugging (a topic with enough answers to count)."""
    topics = {"debug": Rating(-2.5, 8), "metrics": Rating(0.5, 8)}
    return LearnerSnapshot(LearnerRatings(Rating(1.0, 40), topics), items, **extra)


def test_due_reviews_come_first_most_overdue_first() -> None:
    pack = bank()
    who = weak_in_debug(spread_items(pack), due=("p7", "p3"))
    picks = suggest(pack.problems, who, SEED)
    assert len(picks) == SUGGESTION_SIZE == 3
    assert [(s.problem_id, s.reason) for s in picks[:2]] == [("p7", "review"), ("p3", "review")]
    assert picks[2].reason in ("weakest", "level") and picks[2].problem_id not in ("p7", "p3")


def test_more_due_cards_than_slots_fill_the_set_with_reviews() -> None:
    pack = bank()
    who = weak_in_debug(spread_items(pack), due=("p1", "p2", "p3", "p4"))
    assert [s.problem_id for s in suggest(pack.problems, who, SEED)] == ["p1", "p2", "p3"]


def test_the_rest_come_from_the_weakest_topic_nearest_the_target() -> None:
    pack = bank()
    who = weak_in_debug(spread_items(pack))
    picks = suggest(pack.problems, who, SEED)
    assert {s.reason for s in picks} == {"weakest"} and {s.topic for s in picks} == {"debug"}
    debug = [p for p in pack.problems if p.topic_name == "debug"]
    closest = sorted(debug, key=lambda p: abs(who.success(p) - 0.7))
    # each pick is among the closest few (ties within the jitter are drawn by the seed)
    assert {s.problem_id for s in picks} <= {p.id for p in closest[:5]}
    assert all(abs(s.success - who.success(pack.problem(s.problem_id))) < 1e-12 for s in picks)


def test_recently_seen_problems_wait_until_the_fresh_ones_run_out() -> None:
    pack = bank()
    debug = {p.id for p in pack.problems if p.topic_name == "debug"}
    fresh = sorted(debug)[:2]
    who = weak_in_debug(spread_items(pack), recent=frozenset(debug - set(fresh)))
    picks = suggest(pack.problems, who, SEED)
    assert {s.problem_id for s in picks[:2]} == set(fresh)
    assert picks[2].problem_id not in who.recent  # another topic's fresh one, not a repeat
    assert picks[2].reason == "level"
    everything = frozenset(p.id for p in pack.problems)
    assert len(suggest(pack.problems, weak_in_debug({}, recent=everything), SEED)) == 3


def test_a_new_learner_gets_problems_near_the_target_from_the_labels() -> None:
    pack = bank()
    picks = suggest(pack.problems, LearnerSnapshot(), SEED)
    assert len(picks) == 3 and {s.reason for s in picks} == {"level"}
    # a skill of 0 against the label seeds: medium (62.5 %) is nearer 70 % than easy (80 %)
    assert {pack.problem(s.problem_id).difficulty for s in picks} == {"medium"}


def test_the_same_learner_and_day_draw_the_same_set_and_other_days_vary() -> None:
    pack = bank()
    who = LearnerSnapshot()  # many equally good candidates: only the seed tells them apart
    first = suggest(pack.problems, who, SEED)
    assert suggest(pack.problems, who, suggestion_seed(7, "2026-12-02", "bank")) == first
    days = {
        tuple(s.problem_id for s in suggest(pack.problems, who, suggestion_seed(7, d, "bank")))
        for d in ("2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06")
    }
    assert len(days | {tuple(s.problem_id for s in first)}) > 1
    assert suggestion_seed(7, "2026-12-02", "bank") != suggestion_seed(8, "2026-12-02", "bank")


def test_the_suggested_mode_draws_the_same_problems_as_the_suggestion() -> None:
    pack = bank()
    who = weak_in_debug(spread_items(pack), due=("p9",))
    ids = [p.id for p in select_problems("suggested", pack.problems, SEED, who)]
    assert ids == [s.problem_id for s in suggest(pack.problems, who, SEED)]
