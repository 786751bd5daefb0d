"""The shipped packs load, and the seed pack starts with the seed page's ten problems.

The bank grew past the seed (issue 7); its size and spread are tested in test_bank.py.
"""

from __future__ import annotations

from problems.loader import default_pack, default_packs, load_pack, shipped_pack_paths
from problems.model import BADGE_RULE_NAMES, Pack, Problem

CHALLENGES = [
    ("challenge-why-differential", "conceptual", "intermediate", "medium", "B"),
    ("challenge-predict-group-lrs", "predict-output", "intermediate", "medium", "D"),
    ("challenge-freeze-finetune-lr", "hyperparameter", "advanced", "hard", "A"),
    ("challenge-loss-plateau", "metrics", "advanced", "hard", "C"),
    ("challenge-debug-empty-group", "debug", "expert", "hard", "A"),
]
PRACTICE = [
    ("practice-define-differential", "conceptual", "easy", "B"),
    ("practice-param-group-syntax", "conceptual", "easy", "C"),
    ("practice-read-group-lr", "predict-output", "medium", "A"),
    ("practice-group-without-lr", "debug", "medium", "D"),
    ("practice-freeze-all-but-last", "hyperparameter", "hard", "D"),
]


def test_every_shipped_pack_loads() -> None:
    paths = shipped_pack_paths()
    assert paths, "no packs are shipped in the problems package"
    packs = default_packs()
    assert len(packs) == len(paths)
    assert all(isinstance(pack, Pack) and pack.problems for pack in packs)
    assert len({pack.id for pack in packs}) == len(packs)


def test_default_pack_is_the_seed_pack() -> None:
    pack = default_pack()
    assert pack.id == "lr-differential"
    assert pack.title and pack.summary
    assert pack.source.endswith("lr-differential.yaml")
    assert pack == load_pack(pack.source)


SEED_COUNT = len(CHALLENGES) + len(PRACTICE)


def seed_problems() -> tuple[Problem, ...]:
    """The first ten problems: the seed page's, transcribed unchanged."""
    return default_pack().problems[:SEED_COUNT]


def test_seed_pack_has_the_five_timed_challenges_in_page_order() -> None:
    challenges = [p for p in seed_problems() if p.level is not None]
    got = [(p.id, p.kind, p.level, p.difficulty, p.answer) for p in challenges]
    assert got == CHALLENGES
    for problem in challenges:
        assert problem.time_limit_s == 120
        assert problem.attempts == 2
        assert problem.title
        assert "challenge" in problem.tags
        assert problem.solution.steps and problem.solution.final
        assert problem.solution.quick_check and problem.solution.common_mistakes


def test_seed_pack_has_the_five_practice_problems_in_page_order() -> None:
    practice = [p for p in seed_problems() if p.level is None]
    got = [(p.id, p.kind, p.difficulty, p.answer) for p in practice]
    assert got == PRACTICE
    assert all("practice" in p.tags for p in practice)


def test_seed_badge_is_the_challenge_master_badge() -> None:
    (badge,) = default_pack().badges
    assert badge.id == "lr-differential-master"
    assert badge.name == "Learning Rate Differential Master"
    assert badge.emoji == "🎖️"
    assert badge.description == "Get all challenges correct to earn this badge!"
    assert badge.rule == "challenge-perfect" and badge.rule in BADGE_RULE_NAMES


def test_seed_problems_spread_over_all_three_difficulties() -> None:
    difficulties = [p.difficulty for p in seed_problems()]
    assert {d: difficulties.count(d) for d in set(difficulties)} == {
        "easy": 2,
        "medium": 4,
        "hard": 4,
    }


def test_code_blocks_are_self_contained_python() -> None:
    """Each snippet compiles and defines the model it uses (the seed's practice 3/4 did not)."""
    for problem in default_pack().problems:
        if problem.code is None:
            continue
        compile(problem.code, problem.id, "exec")
        assert "import torch" in problem.code
        if "model" in problem.code:
            assert "model = " in problem.code, problem.id


def test_predict_output_choices_are_printable_values() -> None:
    pack = default_pack()
    assert pack.problem("challenge-predict-group-lrs").answer_text == "[0.001, 0.01]"
    assert pack.problem("practice-read-group-lr").answer_text == "0.0005"


def test_corrected_practice_key_says_no_error_and_explains_the_seed() -> None:
    problem = default_pack().problem("practice-group-without-lr")
    assert problem.answer_text.startswith("No error")
    assert problem.verify_mode == "exception"
    # The seed's key survives as a distractor.
    assert problem.choices["A"] == "Missing learning rate for second param group causes error"
    assert "if any" in problem.prompt
    explanation = " ".join(problem.solution.steps)
    assert "keyed A" in explanation and "2.13.0" in explanation


def test_re_keyed_plateau_carries_its_evidence_and_says_so() -> None:
    problem = default_pack().problem("challenge-loss-plateau")
    assert "update-to-weight ratio" in problem.prompt
    assert "keyed A" in " ".join(problem.solution.steps)
    assert problem.choices["A"].startswith("The learning rate for later layers is too low")


def test_debug_choices_follow_the_runner_convention() -> None:
    problem = default_pack().problem("challenge-debug-empty-group")
    for letter, text in problem.choices.items():
        assert text.startswith("No error") or text.split(":")[0].endswith("Error"), letter
