"""Badges: the pack's challenge-perfect badge, and the built-ins (perfect test, flawless run,
streak milestones), each earned exactly when its rule says."""

from __future__ import annotations

from bot.engine import game
from bot.engine.badges import BUILTIN_BADGES, RUN_RULES, STREAK_MILESTONES, streak_badges
from bot.engine.state import SessionState
from bot.engine.views import summary_view
from problems.loader import default_pack
from problems.model import BADGE_RULE_NAMES, Pack

from .conftest import PLAYER, T0


def _play(
    pack: Pack, mode: str, letters_for, seed: int = 1, hint_on: frozenset[str] = frozenset()
) -> tuple[SessionState, list]:
    """Play a whole run; `letters_for(problem)` gives the letters to try on each question."""
    session = game.start("run", PLAYER, mode, pack, T0, seed=seed)
    now = T0
    results = []
    for index in range(session.total):
        if index:
            session = game.advance(session, pack, PLAYER, now)
        problem = pack.problem(session.current.problem_id)
        if problem.id in hint_on:
            session, _ = game.take_hint(session, pack, PLAYER, now)
        for letter in letters_for(problem):
            session, result = game.answer(session, pack, PLAYER, letter, now + 1)
            results.append(result)
        now += 10
    return session, results


def test_every_rule_a_pack_may_name_is_implemented() -> None:
    assert set(BADGE_RULE_NAMES) == set(RUN_RULES) | set(STREAK_MILESTONES)
    assert {b.rule for b in BUILTIN_BADGES} <= set(BADGE_RULE_NAMES)


def test_perfect_challenge_earns_the_badge_on_the_last_answer(pack: Pack) -> None:
    session, results = _play(pack, "challenge", lambda p: [p.answer])
    assert session.is_finished
    assert session.badges == ("master", "flawless")
    assert results[-1].finished and results[-1].new_badges == ("master", "flawless")
    assert all(r.new_badges == () for r in results[:-1])
    assert [b.name for b in summary_view(session, pack).badges] == ["Master", "Flawless"]


def test_a_hint_or_a_second_try_still_earns_master_but_not_flawless(pack: Pack) -> None:
    with_hint, _ = _play(pack, "challenge", lambda p: [p.answer], hint_on=frozenset({"p1"}))
    assert with_hint.badges == ("master",)
    second_try, _ = _play(
        pack, "challenge", lambda p: ["A", p.answer] if p.id == "p2" else [p.answer]
    )
    assert second_try.badges == ("master",)


def test_one_wrong_question_means_no_badge(pack: Pack) -> None:
    wrong_on = {"p3"}

    def letters(problem):
        return ["A", "C"] if problem.id in wrong_on else [problem.answer]

    session, results = _play(pack, "challenge", letters)
    assert session.correct_count == 4
    assert session.badges == ()
    assert results[-1].finished and results[-1].new_badges == ()


def test_perfect_test_earns_perfect_test_and_flawless_but_not_the_challenge_badge(
    pack: Pack,
) -> None:
    session, _ = _play(pack, "test", lambda p: [p.answer])
    assert session.is_finished and session.correct_count == 10
    assert session.badges == ("perfect-test", "flawless")


def test_perfect_practice_earns_no_badge(pack: Pack) -> None:
    session, _ = _play(pack, "practice", lambda p: [p.answer])
    assert session.correct_count == 5 and session.badges == ()


def test_streak_badges_are_awarded_on_reaching_each_milestone(pack: Pack) -> None:
    assert streak_badges(2, pack) == ()
    assert streak_badges(3, pack) == ("streak-3",)
    assert streak_badges(4, pack) == ()
    assert streak_badges(7, pack) == ("streak-7",)
    assert streak_badges(30, pack) == ("streak-30",)


def test_shipped_pack_badge_is_earned_with_its_challenge_keys() -> None:
    shipped = default_pack()
    session, _ = _play(shipped, "challenge", lambda p: [p.answer])
    assert all(shipped.problem(pid).level for pid in session.problem_ids)
    assert session.correct_count == 5
    badges = summary_view(session, shipped).badges
    assert [b.name for b in badges] == ["Learning Rate Differential Master", "Flawless"]


def test_shipped_pack_badge_is_missed_with_one_wrong_key() -> None:
    shipped = default_pack()
    session = game.start("run", PLAYER, "challenge", shipped, T0, seed=1)
    missed = session.problem_ids[2]

    def letters(problem):
        if problem.id == missed:
            return [c for c in problem.choices if c != problem.answer][:2]
        return [problem.answer]

    session, _ = _play(shipped, "challenge", letters)
    assert session.is_finished and session.badges == ()
