"""Live questions: one problem posted publicly, answered by everyone until its deadline.

Each player gets one locked-in answer (a public question with two tries would reward
guessing by elimination) and may take the hint first. Nobody learns whether they were
right until the question closes; then points follow the same scoring rule as runs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from problems.model import Pack

from .errors import GameError, InvalidChoice, QuestionClosed
from .scoring import points_for


class AlreadyAnswered(GameError):
    def __init__(self, letter: str) -> None:
        super().__init__(f"You already locked in {letter}; the answer is revealed at the deadline.")
        self.letter = letter


@dataclass(frozen=True)
class LiveAnswer:
    player_id: int
    letter: str
    at: float
    hint_used: bool
    correct: bool
    points: int = 0


@dataclass(frozen=True)
class LiveState:
    id: str
    pack_id: str
    problem_id: str
    opened_at: float
    deadline: float
    answers: tuple[LiveAnswer, ...] = ()
    hinted: tuple[int, ...] = ()
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def answer_of(self, player_id: int) -> LiveAnswer | None:
        return next((a for a in self.answers if a.player_id == player_id), None)


@dataclass(frozen=True)
class LiveResults:
    """What the closed public message shows."""

    answer: str
    counts: dict[str, int]
    total: int
    correct: int
    first_right: int | None


def open_live(live_id: str, pack: Pack, problem_id: str, now: float) -> LiveState:
    problem = pack.problem(problem_id)
    return LiveState(live_id, pack.id, problem.id, now, now + problem.time_limit_s)


def _check_open(state: LiveState, now: float) -> None:
    if not state.is_open:
        raise QuestionClosed("closed")
    if now >= state.deadline:
        raise QuestionClosed("expired")


def answer_live(
    state: LiveState, pack: Pack, player_id: int, letter: str, now: float
) -> tuple[LiveState, LiveAnswer]:
    """Lock in one player's answer."""
    _check_open(state, now)
    previous = state.answer_of(player_id)
    if previous is not None:
        raise AlreadyAnswered(previous.letter)
    problem = pack.problem(state.problem_id)
    letter = letter.strip().upper()
    if letter not in problem.choices:
        raise InvalidChoice(letter, list(problem.choices))
    answer = LiveAnswer(player_id, letter, now, player_id in state.hinted, letter == problem.answer)
    return replace(state, answers=(*state.answers, answer)), answer


def hint_live(state: LiveState, pack: Pack, player_id: int, now: float) -> tuple[LiveState, str]:
    """The hint, recorded for this player (it halves their points) unless already answered."""
    _check_open(state, now)
    hint = pack.problem(state.problem_id).hint
    if player_id in state.hinted or state.answer_of(player_id) is not None:
        return state, hint
    return replace(state, hinted=(*state.hinted, player_id)), hint


def close_live(state: LiveState, pack: Pack, now: float) -> LiveState:
    """Close at (or after) the deadline and award points to the right answers."""
    if not state.is_open:
        return state
    difficulty = pack.problem(state.problem_id).difficulty
    scored = tuple(
        replace(a, points=points_for(difficulty, 1, a.hint_used) if a.correct else 0)
        for a in state.answers
    )
    return replace(state, answers=scored, closed_at=min(now, state.deadline))


def live_results(state: LiveState, pack: Pack) -> LiveResults:
    problem = pack.problem(state.problem_id)
    counts = Counter(a.letter for a in state.answers)
    right = sorted((a for a in state.answers if a.correct), key=lambda a: a.at)
    return LiveResults(
        answer=problem.answer,
        counts={letter: counts.get(letter, 0) for letter in problem.choices},
        total=len(state.answers),
        correct=len(right),
        first_right=right[0].player_id if right else None,
    )
