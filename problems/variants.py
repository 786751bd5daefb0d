"""Parametric problems: a Template and a seed become an ordinary Problem, keyed by running it.

A template (a pack's ``templates:``) declares parameters, a code template and named
mistakes, each mistake being the code rewritten the way a learner who holds that wrong
idea reads it. A variant is drawn deterministically from ``(template, seed)``; its key is
what the variant's code really prints and its distractors are what the mistaken codes
really print, so every variant is true by construction, on whatever PyTorch the runner has.

API for the game (daily cards, adaptive selection)::

    from problems.variants import generate_variant, variant_id, parse_variant_id, find_template

    problem = await generate_variant(template, seed, runner_client)   # -> problems.model.Problem
    problem.id == variant_id(template.id, seed)                       # "<template id>.s<seed>"
    parse_variant_id(problem.id) == (template.id, seed)               # None for a fixed problem
    template = find_template(packs, template_id)                      # to rebuild a stored variant

``runner_client`` is anything with the runner client's ``async run(code, *, timeout_s, seed)``
returning a result with ``status`` and ``stdout`` (runner.client.RunnerClient). Runner
results are cached by code, so regenerating a stored variant for a late answer is cheap.
``generate_variant`` raises ``VariantError`` (one-line message) when the runner answers but
the template cannot make a sound variant, and lets ``RunnerUnavailable`` through when
there is no runner: callers fall back to fixed problems.

The pure halves are public for tests and batch use: ``render`` (no I/O) and ``assemble``.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from string import Template as TextTemplate
from typing import Any, Protocol

from .model import LETTERS, Mistake, Pack, Problem, Solution, Template

DISTRACTORS = len(LETTERS) - 1
# A seed whose draw gives too few distinct distractors moves on to its next draw.
MAX_ATTEMPTS = 6
RUN_TIMEOUT_S = 20.0
VARIANT_TAG = "variant"
VARIANT_ID = re.compile(r"(?P<template>.+)\.s(?P<seed>\d+)")


class VariantError(Exception):
    """A template could not produce a sound variant; ``str()`` is one line naming it."""


class CodeRunner(Protocol):
    async def run(
        self, code: str, *, timeout_s: float | None = None, seed: int | None = None
    ) -> Any: ...


@dataclass(frozen=True)
class Draft:
    """One variant before running: the chosen values and every code that must be run."""

    template: Template
    seed: int
    attempt: int
    values: tuple[tuple[str, str], ...]
    prompt: str
    code: str
    hint: str
    # Each mistake with the code as that learner reads it (mistakes that change nothing
    # for these values are left out).
    mistakes: tuple[tuple[Mistake, str], ...]
    key_letter: str

    @property
    def codes(self) -> tuple[str, ...]:
        """The key's code first, then each mistake's: what ``assemble`` needs the output of."""
        return (self.code, *(code for _, code in self.mistakes))


def variant_id(template_id: str, seed: int) -> str:
    return f"{template_id}.s{seed}"


def parse_variant_id(problem_id: str) -> tuple[str, int] | None:
    """``"t-steplr.s42"`` -> ``("t-steplr", 42)``; None for ids that are not variants."""
    match = VARIANT_ID.fullmatch(problem_id)
    return (match["template"], int(match["seed"])) if match else None


def rated_id(problem: Problem) -> str:
    """The item id a problem's difficulty is rated under: a variant's template, so answers
    to all variants of one template build one estimate; any other problem's own id."""
    parsed = parse_variant_id(problem.id) if VARIANT_TAG in problem.tags else None
    return parsed[0] if parsed else problem.id


def rated_as(problem: Problem) -> Problem:
    """`problem` under its rated id (see `rated_id`), for the rating update."""
    item = rated_id(problem)
    return problem if item == problem.id else replace(problem, id=item)


def find_template(packs: Sequence[Pack], template_id: str) -> Template:
    for pack in packs:
        for template in pack.templates:
            if template.id == template_id:
                return template
    raise KeyError(template_id)


def one_line(text: str) -> str:
    return " ".join(text.split())


def render(template: Template, seed: int, attempt: int = 0) -> Draft:
    """Draw the values for ``(template, seed, attempt)`` and fill in every text and code."""
    rng = random.Random(f"{template.id}/{seed}/{attempt}")
    values = {name: rng.choice(options) for name, options in template.params}

    def fill(text: str) -> str:
        return TextTemplate(text).substitute(values)

    code = fill(template.code)
    mistakes: list[tuple[Mistake, str]] = []
    for mistake in template.mistakes:
        wrong = code
        for find, put in mistake.replace:
            wrong = wrong.replace(fill(find), fill(put))
        if wrong != code:
            mistakes.append((mistake, wrong))
    return Draft(
        template=template,
        seed=seed,
        attempt=attempt,
        values=tuple(values.items()),
        prompt=fill(template.prompt),
        code=code,
        hint=fill(template.hint),
        mistakes=tuple(mistakes),
        key_letter=rng.choice(LETTERS),
    )


def assemble(draft: Draft, key_output: str, mistake_outputs: Sequence[str | None]) -> Problem:
    """The Problem for ``draft`` from real outputs (None for a mistake whose code failed)."""
    template = draft.template
    key = one_line(key_output)
    if not key:
        raise VariantError(f"template {template.id!r} seed {draft.seed}: the code printed nothing")
    distinct: list[tuple[Mistake, str]] = []
    for (mistake, _), output in zip(draft.mistakes, mistake_outputs, strict=True):
        text = one_line(output or "")
        if text and text != key and text not in (t for _, t in distinct):
            distinct.append((mistake, text))
    if len(distinct) < DISTRACTORS:
        raise VariantError(
            f"template {template.id!r} seed {draft.seed}: only {len(distinct)} mistakes print "
            f"something other than the key {key!r}"
        )
    rng = random.Random(f"{template.id}/{draft.seed}/{draft.attempt}/choices")
    # Sorted, so the explanations keep the author's order of mistakes.
    picked = [distinct[i] for i in sorted(rng.sample(range(len(distinct)), DISTRACTORS))]
    others = [text for _, text in picked]
    rng.shuffle(others)
    letter_index = LETTERS.index(draft.key_letter)
    texts = [*others[:letter_index], key, *others[letter_index:]]
    choices = dict(zip(LETTERS, texts, strict=True))
    values = dict(draft.values)

    def explain(text: str) -> str:
        return TextTemplate(text).substitute({**values, "answer": key})

    solution = Solution(
        steps=tuple(explain(step) for step in template.steps),
        final=f"{key} -> Option {draft.key_letter}",
        quick_check=explain(template.quick_check) if template.quick_check else "",
        common_mistakes=tuple(f"{m.says} (that reading prints {text})" for m, text in picked),
    )
    return Problem(
        id=variant_id(template.id, draft.seed),
        kind=template.kind,
        difficulty=template.difficulty,
        prompt=draft.prompt,
        choices=choices,
        answer=draft.key_letter,
        hint=draft.hint,
        solution=solution,
        level=template.level,
        code=draft.code,
        tags=(*template.tags, VARIANT_TAG),
        topic=template.topic,
        title=template.title,
    )


def _failure(result: Any) -> str:
    stderr = getattr(result, "stderr", "") or ""
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return f"{result.status}{': ' + last if last else ''}"


async def generate_variant(
    template: Template,
    seed: int,
    runner: CodeRunner,
    *,
    timeout_s: float = RUN_TIMEOUT_S,
    max_attempts: int = MAX_ATTEMPTS,
) -> Problem:
    """The variant of ``template`` for ``seed``, keyed and distracted by running its codes."""
    problem_error: VariantError | None = None
    for attempt in range(max_attempts):
        draft = render(template, seed, attempt)
        results = await asyncio.gather(
            *(runner.run(code, timeout_s=timeout_s, seed=0) for code in draft.codes)
        )
        key, *wrong = results
        if key.status != "ok":
            raise VariantError(
                f"template {template.id!r} seed {seed}: its code failed ({_failure(key)})"
            )
        outputs = [r.stdout if r.status == "ok" else None for r in wrong]
        try:
            return assemble(draft, key.stdout, outputs)
        except VariantError as exc:
            problem_error = exc
    raise VariantError(f"{problem_error} in {max_attempts} draws")
