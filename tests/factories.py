"""Small in-code packs for tests that must not depend on the shipped YAML."""

from __future__ import annotations

from problems.model import Badge, Pack, Problem, Solution

KIND_CYCLE = ("conceptual", "predict-output", "hyperparameter", "metrics", "debug")
LEVEL_FOR = {"easy": None, "medium": "intermediate", "hard": "advanced"}


def make_problem(
    number: int,
    difficulty: str = "easy",
    kind: str | None = None,
    level: str | None = None,
    answer: str = "B",
    time_limit_s: int = 120,
    attempts: int = 2,
) -> Problem:
    return Problem(
        id=f"p{number}",
        kind=kind or KIND_CYCLE[number % len(KIND_CYCLE)],  # type: ignore[arg-type]
        difficulty=difficulty,  # type: ignore[arg-type]
        level=level,  # type: ignore[arg-type]
        prompt=f"Question {number}?",
        choices={"A": "alpha", "B": "beta", "C": "gamma", "D": "delta"},
        answer=answer,
        hint=f"hint {number}",
        solution=Solution(steps=("think", "answer"), final=f"{answer}", quick_check="ok"),
        time_limit_s=time_limit_s,
        attempts=attempts,
    )


def make_pack(pack_id: str = "test-pack") -> Pack:
    """5 challenge problems (one per kind, with levels) and 10 others across difficulties."""
    challenge = [
        make_problem(
            i,
            "medium" if i < 2 else "hard",
            KIND_CYCLE[i],
            ("intermediate", "intermediate", "advanced", "advanced", "expert")[i],
        )
        for i in range(5)
    ]
    others = [
        make_problem(
            10 + i,
            ("easy", "easy", "easy", "medium", "medium", "medium", "hard", "hard", "hard", "easy")[
                i
            ],
        )
        for i in range(10)
    ]
    return Pack(
        id=pack_id,
        title="Test pack",
        summary="What the pack teaches.",
        problems=(*challenge, *others),
        badges=(
            Badge(id="master", name="Master", description="All correct", rule="challenge-perfect"),
        ),
    )
