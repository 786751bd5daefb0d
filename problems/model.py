"""Typed, immutable problem-pack data: what the loader produces and everyone else reads.

Pure data with no I/O so the engine can depend on it without touching YAML or disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["conceptual", "predict-output", "hyperparameter", "metrics", "debug"]
Difficulty = Literal["easy", "medium", "hard"]
Level = Literal["intermediate", "advanced", "expert"]
Verify = Literal["stdout", "exception", "runs"]

KINDS: tuple[str, ...] = ("conceptual", "predict-output", "hyperparameter", "metrics", "debug")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")
LEVELS: tuple[str, ...] = ("intermediate", "advanced", "expert")
LETTERS: tuple[str, ...] = ("A", "B", "C", "D")
VERIFY_MODES: tuple[str, ...] = ("stdout", "exception", "runs")
# Badge rules a pack may name; the engine implements each one (bot/engine/badges.py).
BADGE_RULE_NAMES: tuple[str, ...] = (
    "challenge-perfect",
    "test-perfect",
    "no-hints-perfect",
    "streak-3",
    "streak-7",
    "streak-30",
)

DEFAULT_TIME_LIMIT_S = 120
DEFAULT_ATTEMPTS = 2


@dataclass(frozen=True)
class Solution:
    """The seed page's step-by-step explanation shown after a question closes."""

    steps: tuple[str, ...]
    final: str
    quick_check: str = ""
    common_mistakes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """One multiple-choice question; `choices` keeps the author's letter order."""

    id: str
    kind: Kind
    difficulty: Difficulty
    prompt: str
    choices: dict[str, str]
    answer: str
    hint: str
    solution: Solution
    level: Level | None = None
    code: str | None = None
    time_limit_s: int = DEFAULT_TIME_LIMIT_S
    attempts: int = DEFAULT_ATTEMPTS
    tags: tuple[str, ...] = ()
    # The concept a problem drills, for mastery per topic; "" falls back to the kind.
    topic: str = ""
    # How the runner checks the key (see runner verification); None derives it from kind.
    verify: Verify | None = None
    # The seed page's short headline for a challenge (e.g. "Why use different learning rates ...").
    title: str = ""

    @property
    def verify_mode(self) -> Verify:
        """predict-output compares stdout, debug compares the raised exception, else it must run."""
        if self.verify is not None:
            return self.verify
        if self.kind == "predict-output":
            return "stdout"
        if self.kind == "debug":
            return "exception"
        return "runs"

    @property
    def topic_name(self) -> str:
        """The topic mastery is counted under: the author's `topic`, else the kind."""
        return self.topic or self.kind

    @property
    def answer_text(self) -> str:
        return self.choices[self.answer]


@dataclass(frozen=True)
class Mistake:
    """A named wrong idea: the template's code rewritten the way that learner reads it.

    Running the rewritten code prints what the learner would predict, which becomes a
    distractor; `says` is shown under "common mistakes".
    """

    name: str
    says: str
    # (find, replacement) pairs applied in order to the rendered code; both may use ${param}.
    replace: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Template:
    """A parametric predict-output problem; problems/variants.py turns it into Problems.

    Text fields may use ${param} placeholders; `steps` and `quick_check` may also use
    ${answer}, the variant's real output.
    """

    id: str
    kind: Kind
    difficulty: Difficulty
    prompt: str
    code: str
    hint: str
    steps: tuple[str, ...]
    quick_check: str
    # Each parameter with the values a variant may take, in the author's order.
    params: tuple[tuple[str, tuple[str, ...]], ...]
    mistakes: tuple[Mistake, ...]
    level: Level | None = None
    title: str = ""
    tags: tuple[str, ...] = ()
    topic: str = ""

    @property
    def topic_name(self) -> str:
        return self.topic or self.kind


@dataclass(frozen=True)
class Badge:
    """A pack-defined award; `rule` names an engine rule such as `challenge-perfect`."""

    id: str
    name: str
    description: str
    rule: str
    emoji: str = "🎖️"


@dataclass(frozen=True)
class Pack:
    """A validated problem pack as loaded from one YAML file."""

    id: str
    title: str
    summary: str
    problems: tuple[Problem, ...]
    badges: tuple[Badge, ...] = ()
    # The PyTorch release (e.g. "2.13.0") the code-bearing keys were verified on; "" if never.
    verified_torch: str = ""
    templates: tuple[Template, ...] = ()
    source: str = field(default="", compare=False)

    def problem(self, problem_id: str) -> Problem:
        for problem in self.problems:
            if problem.id == problem_id:
                return problem
        raise KeyError(problem_id)

    def template(self, template_id: str) -> Template:
        for template in self.templates:
            if template.id == template_id:
                return template
        raise KeyError(template_id)
