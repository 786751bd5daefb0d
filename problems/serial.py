"""A Problem as plain JSON and back: how a generated variant is stored.

A variant is stored whole (not as its template and seed) so that what a learner saw is
what every later page, rating rebuild and review shows, even after the template is
edited or when no runner is around to regenerate it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .model import Problem, Solution

FORMAT = 1


def problem_to_json(problem: Problem) -> str:
    data: dict[str, Any] = {"format": FORMAT, **asdict(problem)}
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def problem_from_json(text: str) -> Problem:
    """The stored Problem; ValueError (one line) for text this code cannot read."""
    try:
        data = json.loads(text)
        if data.pop("format", None) != FORMAT:
            raise ValueError("unknown format")
        solution = data.pop("solution")
        return Problem(
            **{
                **data,
                "choices": dict(data["choices"]),
                "tags": tuple(data.get("tags", ())),
                "solution": Solution(
                    steps=tuple(solution["steps"]),
                    final=solution["final"],
                    quick_check=solution.get("quick_check", ""),
                    common_mistakes=tuple(solution.get("common_mistakes", ())),
                ),
            }
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"a stored problem could not be read ({exc})") from None
