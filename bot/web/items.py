"""The item-analysis page's rows: the engine's statistics (bot/engine/item_analysis.py, the
same as `lrquiz problems stats`) with each flag in words a pack author can act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.engine.item_analysis import (
    DEAD_DISTRACTOR,
    TOO_EASY,
    TOO_HARD,
    WEAK_DISCRIMINATION,
    ItemStats,
)
from problems.model import Problem


def heading(problem: Problem) -> str:
    """The problem's title, else the start of its prompt."""
    if problem.title:
        return problem.title
    text = " ".join(problem.prompt.split())
    return text if len(text) <= 80 else text[:77].rstrip() + "…"


@dataclass(frozen=True)
class ItemRow:
    """One problem's item statistics from learners' first attempts in one workspace."""

    pack_id: str
    problem_id: str
    heading: str
    topic: str
    key: str
    n: int
    facility: float | None  # share of first attempts that were right
    discrimination: float | None  # corrected item-total (point-biserial) correlation
    pick_rates: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


def item_rows(
    pack_id: str, problems: Iterable[Problem], stats: Iterable[ItemStats]
) -> list[ItemRow]:
    """A row for each answered problem of one pack."""
    by_id = {p.id: p for p in problems}
    return [
        ItemRow(
            pack_id=pack_id,
            problem_id=s.problem_id,
            heading=heading(by_id[s.problem_id]),
            topic=by_id[s.problem_id].topic_name,
            key=by_id[s.problem_id].answer,
            n=s.n,
            facility=s.facility,
            discrimination=s.discrimination,
            pick_rates=dict(s.picks),
            flags=tuple(describe_flag(flag) for flag in s.flags),
        )
        for s in stats
        if s.n and s.problem_id in by_id
    ]


def describe_flag(flag: str) -> str:
    """An engine flag (`too-easy`, `dead-distractor:B`, …) as a sentence."""
    kind, _, letter = flag.partition(":")
    words = {
        "too-easy": f"too easy: over {TOO_EASY:.0%} right on the first try",
        "too-hard": f"too hard: under {TOO_HARD:.0%} right on the first try",
        "weak-discrimination": (
            f"weak discrimination (under {WEAK_DISCRIMINATION}): strong and weak learners "
            "do about as well"
        ),
        "dead-distractor": f"{letter} is almost never picked (under {DEAD_DISTRACTOR:.0%})",
    }
    return words.get(kind, flag)
