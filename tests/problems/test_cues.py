"""No problem in the shipped bank can be answered without knowing the answer (issue 14).

A practitioner review found the key guessable by its length, hints that were the
answer, and authoring notes in learner text. These checks keep those cues out for good,
per kind, because a learner sees one kind at a time in a challenge.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from problems.loader import default_pack
from problems.model import KINDS, LETTERS, Problem

BANK = default_pack().problems
# The strictly-longest-choice rate and the letter band a kind must stay within.
MAX_LONGEST_SHARE = 0.30
LETTER_BAND = (0.15, 0.35)
# "seed" as a word (torch.manual_seed is code, not an authoring note).
SEED_WORD = re.compile(r"\bseeds?\b", re.IGNORECASE)


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def by_kind(problems: tuple[Problem, ...] = BANK) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        grouped[problem.kind].append(problem)
    return grouped


def key_is_strictly_longest(problem: Problem) -> bool:
    keyed = len(problem.answer_text)
    return all(
        keyed > len(text) for letter, text in problem.choices.items() if letter != problem.answer
    )


def learner_texts(problem: Problem) -> list[str]:
    """Everything a player can read for this problem, before or after answering."""
    solution = problem.solution
    return [
        problem.title,
        problem.prompt,
        problem.code or "",
        problem.hint,
        *problem.choices.values(),
        *solution.steps,
        solution.final,
        solution.quick_check,
        *solution.common_mistakes,
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_the_key_is_rarely_the_longest_choice(kind: str) -> None:
    problems = by_kind()[kind]
    longest = [p.id for p in problems if key_is_strictly_longest(p)]
    assert len(longest) <= MAX_LONGEST_SHARE * len(problems), (
        f"{kind}: the key is the longest choice in {len(longest)} of {len(problems)}: {longest}"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_letter_is_keyed_about_equally_often(kind: str) -> None:
    problems = by_kind()[kind]
    counts = Counter(p.answer for p in problems)
    low, high = LETTER_BAND
    for letter in LETTERS:
        share = counts[letter] / len(problems)
        assert low <= share <= high, f"{kind}: {letter} keys {counts[letter]} of {len(problems)}"


@pytest.mark.parametrize("problem", BANK, ids=lambda p: p.id)
def test_the_hint_guides_without_giving_the_answer(problem: Problem) -> None:
    assert _norm(problem.answer_text) not in _norm(problem.hint)
    assert "[OK]" not in problem.hint, "an after-the-fact check is not a hint"


@pytest.mark.parametrize("problem", BANK, ids=lambda p: p.id)
def test_no_authoring_notes_reach_the_learner(problem: Problem) -> None:
    for text in learner_texts(problem):
        assert not SEED_WORD.search(text), f"learner text mentions the source: {text[:80]!r}"
    assert not any(SEED_WORD.search(tag) for tag in problem.tags)


def test_the_guard_itself_catches_a_giveaway() -> None:
    """The length rule is real: a bank where the key is always longest fails it."""
    (problem,) = [p for p in BANK if p.id == "challenge-why-differential"]
    padded = {**problem.choices, problem.answer: max(problem.choices.values(), key=len) + "!"}
    rigged = type(problem)(**{**problem.__dict__, "choices": padded})
    assert key_is_strictly_longest(rigged)
    assert not key_is_strictly_longest(problem)
