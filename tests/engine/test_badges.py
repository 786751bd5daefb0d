"""The challenge-perfect badge: every challenge answered correctly, and only in challenge mode."""

from __future__ import annotations

from bot.engine import game
from bot.engine.badges import BADGE_RULES
from bot.engine.state import SessionState
from bot.engine.views import summary_view
from problems.loader import default_pack
from problems.model import BADGE_RULE_NAMES, Pack

from .conftest import PLAYER, T0


def _play(pack: Pack, mode: str, letters_for, seed: int = 1) -> tuple[SessionState, list]:
    """Play a whole run; `letters_for(problem)` gives the letters to try on each question."""
    session = game.start("run", PLAYER, mode, pack, T0, seed=seed)
    now = T0
    results = []
    for index in range(session.total):
        if index:
            session = game.advance(session, pack, PLAYER, now)
        problem = pack.problem(session.current.problem_id)
        for letter in letters_for(problem):
            session, result = game.answer(session, pack, PLAYER, letter, now + 1)
            results.append(result)
        now += 10
    return session, results


def test_every_rule_a_pack_may_name_is_implemented() -> None:
    assert set(BADGE_RULE_NAMES) <= set(BADGE_RULES)


def test_perfect_challenge_earns_the_badge_on_the_last_answer(pack: Pack) -> None:
    session, results = _play(pack, "challenge", lambda p: [p.answer])
    assert session.is_finished
    assert session.badges == ("master",)
    assert results[-1].finished and results[-1].new_badges == ("master",)
    assert all(r.new_badges == () for r in results[:-1])
    assert [b.name for b in summary_view(session, pack).badges] == ["Master"]


def test_one_wrong_question_means_no_badge(pack: Pack) -> None:
    wrong_on = {"p3"}

    def letters(problem):
        return ["A", "C"] if problem.id in wrong_on else [problem.answer]

    session, results = _play(pack, "challenge", letters)
    assert session.correct_count == 4
    assert session.badges == ()
    assert results[-1].finished and results[-1].new_badges == ()


def test_perfect_test_mode_earns_no_challenge_badge(pack: Pack) -> None:
    session, _ = _play(pack, "test", lambda p: [p.answer])
    assert session.is_finished and session.correct_count == 10
    assert session.badges == ()


def test_perfect_practice_earns_no_badge(pack: Pack) -> None:
    session, _ = _play(pack, "practice", lambda p: [p.answer])
    assert session.correct_count == 5 and session.badges == ()


def test_shipped_pack_badge_is_earned_with_its_five_challenge_keys() -> None:
    shipped = default_pack()
    keys = {
        "challenge-why-differential": "B",
        "challenge-predict-group-lrs": "D",
        "challenge-freeze-finetune-lr": "A",
        "challenge-loss-plateau": "A",
        "challenge-debug-empty-group": "A",
    }
    session, _ = _play(shipped, "challenge", lambda p: [keys[p.id]])
    assert set(session.problem_ids) == set(keys)
    assert session.correct_count == 5
    badges = summary_view(session, shipped).badges
    assert [b.name for b in badges] == ["Learning Rate Differential Master"]
    assert session.badges == ("lr-differential-master",)


def test_shipped_pack_badge_is_missed_with_one_wrong_key() -> None:
    shipped = default_pack()

    def letters(problem):
        if problem.id == "challenge-loss-plateau":
            return [c for c in problem.choices if c != problem.answer][:2]
        return [problem.answer]

    session, _ = _play(shipped, "challenge", letters)
    assert session.is_finished and session.badges == ()
