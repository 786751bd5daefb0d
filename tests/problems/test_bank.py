"""The shipped lr-differential bank is big and balanced enough for every game mode (issues 7, 14).

Data checks only (no torch): the keys themselves are checked against real PyTorch by
tests/problems/test_torch_keys.py and tests/runner/test_verify.py.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest

from bot.engine.selection import TEST_QUOTAS, select_problems
from problems.loader import default_pack
from problems.model import DIFFICULTIES, KINDS, Problem

# Floors, not targets: the bank may grow, but it cannot silently shrink below issue 14's size.
MIN_PROBLEMS = 100
MIN_PER_KIND = {
    "conceptual": 20,
    "predict-output": 25,
    "hyperparameter": 16,
    "metrics": 15,
    "debug": 20,
}
MIN_CHALLENGE_PER_KIND = 3
MIN_EXPERT_CONCEPTUAL_CHALLENGES = 3
MIN_TOPICS = 12
# Test mode draws TEST_QUOTAS per difficulty; the bank must hold this many disjoint tests.
DISJOINT_TESTS = 3
SEED_IDS = [
    "challenge-why-differential",
    "challenge-predict-group-lrs",
    "challenge-freeze-finetune-lr",
    "challenge-loss-plateau",
    "challenge-debug-empty-group",
    "practice-define-differential",
    "practice-param-group-syntax",
    "practice-read-group-lr",
    "practice-group-without-lr",
    "practice-freeze-all-but-last",
]

BANK = default_pack().problems


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def test_bank_has_at_least_a_hundred_problems_with_the_seed_first() -> None:
    assert len(BANK) >= MIN_PROBLEMS
    assert [p.id for p in BANK[: len(SEED_IDS)]] == SEED_IDS


def test_every_kind_is_present_with_enough_code_problems() -> None:
    kinds = Counter(p.kind for p in BANK)
    assert set(kinds) == set(KINDS)
    for kind, minimum in MIN_PER_KIND.items():
        assert kinds[kind] >= minimum, f"only {kinds[kind]} {kind} problems"


def test_difficulties_allow_several_disjoint_tests() -> None:
    counts = Counter(p.difficulty for p in BANK)
    for difficulty in DIFFICULTIES:
        needed = DISJOINT_TESTS * TEST_QUOTAS[difficulty]
        assert counts[difficulty] >= needed, (difficulty, counts[difficulty], needed)


def test_test_mode_draws_full_spreads_and_different_sets() -> None:
    draws = [select_problems("test", BANK, seed) for seed in range(20)]
    for chosen in draws:
        assert len({p.id for p in chosen}) == len(chosen) == sum(TEST_QUOTAS.values())
        assert Counter(p.difficulty for p in chosen) == Counter(TEST_QUOTAS)
    assert len({frozenset(p.id for p in chosen) for chosen in draws}) == len(draws)


def test_each_kind_has_several_challenge_problems() -> None:
    eligible = Counter(p.kind for p in BANK if p.level is not None)
    for kind in KINDS:
        assert eligible[kind] >= MIN_CHALLENGE_PER_KIND, (kind, eligible[kind])
    # one-per-kind challenges: at least 3**5 different line-ups
    assert math.prod(eligible[kind] for kind in KINDS) >= MIN_CHALLENGE_PER_KIND ** len(KINDS)
    # ... and there is still a practice pool of problems without a level
    assert sum(p.level is None for p in BANK) >= len(BANK) // 3


def test_the_challenge_pool_has_expert_conceptual_items() -> None:
    expert = [p.id for p in BANK if p.kind == "conceptual" and p.level == "expert"]
    assert len(expert) >= MIN_EXPERT_CONCEPTUAL_CHALLENGES, expert


def test_every_problem_has_a_topic_and_topics_are_shared() -> None:
    topics = Counter(p.topic for p in BANK)
    assert "" not in topics, [p.id for p in BANK if not p.topic]
    assert len(topics) >= MIN_TOPICS
    # A topic of one problem cannot show mastery; each groups several.
    assert min(topics.values()) >= 3, topics


def test_prompts_are_unique() -> None:
    """The terminal tests (and players) tell problems apart by their prompts."""
    prompts = Counter(_norm(p.prompt) for p in BANK)
    assert max(prompts.values()) == 1


def test_challenge_problems_look_like_the_seed_challenges() -> None:
    for problem in BANK:
        if problem.level is None:
            assert "practice" in problem.tags, problem.id
            continue
        assert problem.title, problem.id
        assert "challenge" in problem.tags, problem.id
        assert (problem.time_limit_s, problem.attempts) == (120, 2), problem.id


@pytest.mark.parametrize("problem", BANK, ids=lambda p: p.id)
def test_problem_is_explained(problem: Problem) -> None:
    solution = problem.solution
    assert len(solution.common_mistakes) >= 2
    assert solution.steps and solution.quick_check
    assert _norm(solution.final).endswith(_norm(f"-> Option {problem.answer}"))
    assert _norm(problem.answer_text) not in _norm(problem.hint), "the hint gives the answer away"
    assert len(problem.choices) == 4


@pytest.mark.parametrize("problem", [p for p in BANK if p.kind == "debug"], ids=lambda p: p.id)
def test_debug_keys_name_an_exception_or_no_error(problem: Problem) -> None:
    head = problem.answer_text.split(":", 1)[0]
    assert problem.answer_text.startswith("No error") or head.endswith("Error"), problem.id


def test_code_blocks_are_short() -> None:
    for problem in BANK:
        if problem.code is not None:
            assert len(problem.code.strip().splitlines()) < 25, problem.id
