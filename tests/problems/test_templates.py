"""Parametric problems (issue 14): templates validate, draw deterministically, and key by running.

The torch tests run every sampled variant's key and mistake codes with real PyTorch in one
warm interpreter (tests/problems/torch_harness.py), through the same generate_variant the
game uses; tests/runner/test_verify.py does the same through the real runner service.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
from collections import Counter

import pytest

from problems.errors import PackError
from problems.loader import default_packs, load_pack
from problems.model import LETTERS, Problem, Template
from problems.variants import (
    VariantError,
    assemble,
    find_template,
    generate_variant,
    parse_variant_id,
    render,
    variant_id,
)

from .corpus import VALID_PACK
from .test_cues import SEED_WORD, key_is_strictly_longest, learner_texts
from .torch_harness import Ran, run_codes

MIN_TEMPLATES = 15
# tests/runner/test_verify.py checks three seeds per template through the real runner.
SAMPLED_SEEDS = range(2)
PACKS = default_packs()
TEMPLATES = tuple(template for pack in PACKS for template in pack.templates)
needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="needs torch (pip install 'lrquiz[runner]')"
)

TEMPLATE = """\
templates:
  - id: t-mini
    kind: predict-output
    difficulty: easy
    params:
      lr: ["0.1", "0.2"]
      steps: {range: [1, 3]}
    prompt: What is printed after ${steps} steps?
    code: |
      lr = ${lr}
      print(round(lr * 0.5 ** ${steps}, 4))
    hint: Halve once per step.
    steps:
      - Each step halves ${lr}; the code prints ${answer}.
    mistakes:
      - {name: none, says: No halving, replace: [{find: "0.5 ** ${steps}", with: "1"}]}
      - {name: once, says: One halving, replace: [{find: "0.5 ** ${steps}", with: "0.5"}]}
      - name: extra
        says: One too many
        replace: [{find: "** ${steps}", with: "** (${steps} + 1)"}]
"""


def pack_with(template: str) -> str:
    return VALID_PACK + template


# -- validation ------------------------------------------------------------------------------


def test_a_valid_template_loads_with_its_parameters(write_pack) -> None:
    pack = load_pack(write_pack(pack_with(TEMPLATE)))
    (template,) = pack.templates
    assert dict(template.params) == {"lr": ("0.1", "0.2"), "steps": ("1", "2", "3")}
    assert [m.name for m in template.mistakes] == ["none", "once", "extra"]
    assert pack.template("t-mini") is template


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (
            ("print(round(lr", "print(round(${rate}"),
            r"code uses undeclared placeholder\(s\) \$\{rate\}",
        ),
        (
            ("What is printed", "What costs $5 printed"),
            "'\\$' that is not a \\$\\{name\\} placeholder",
        ),
        (
            ('find: "0.5 ** ${steps}", with: "1"', 'find: "0.25", with: "1"'),
            "'0.25' does not occur",
        ),
        (("kind: predict-output", "kind: debug"), "'debug' is not one of predict-output"),
        (("{range: [1, 3]}", "{range: [3, 1]}"), r"range must be \[low, high\]"),
        (("hint: Halve once per step.", "hint: Halve to ${answer}."), r"undeclared placeholder"),
        (
            ("      - name: extra", "      - name: once"),
            "two mistakes share a name",
        ),
    ],
    ids=[
        "unknown-placeholder",
        "stray-dollar",
        "find-missing",
        "kind",
        "range",
        "answer-in-hint",
        "dup",
    ],
)
def test_template_mistakes_are_one_line_issues(write_pack, change, expect) -> None:
    old, new = change
    assert old in TEMPLATE
    path = write_pack(pack_with(TEMPLATE.replace(old, new)))
    with pytest.raises(PackError) as caught:
        load_pack(path)
    lines = caught.value.lines()
    assert any(re.search(expect, line) for line in lines), lines
    assert all(path.name in line and "t-mini" in line for line in lines), lines


def test_too_few_mistakes_and_id_clashes_are_refused(write_pack) -> None:
    start = TEMPLATE.index("      - name: extra")
    two = TEMPLATE[:start]
    with pytest.raises(PackError, match="needs at least 3 mistakes"):
        load_pack(write_pack(pack_with(two)))
    with pytest.raises(PackError, match="template id 'q1' is also a problem id"):
        load_pack(write_pack(pack_with(TEMPLATE.replace("id: t-mini", "id: q1"))))


# -- the shipped templates, without running anything -----------------------------------------


def test_the_bank_ships_enough_templates_each_with_a_topic() -> None:
    assert len(TEMPLATES) >= MIN_TEMPLATES
    assert all(t.topic for t in TEMPLATES), [t.id for t in TEMPLATES if not t.topic]
    problem_topics = {p.topic for pack in PACKS for p in pack.problems}
    assert {t.topic for t in TEMPLATES} <= problem_topics, "a template topic no problem teaches"
    assert len({t.id for t in TEMPLATES}) == len(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
def test_drawing_is_deterministic_and_varied(template: Template) -> None:
    assert render(template, 7) == render(template, 7)
    codes = {render(template, seed).code for seed in range(12)}
    assert len(codes) >= 3, "twelve seeds should give several different variants"
    for seed in range(12):
        draft = render(template, seed)
        assert "${" not in draft.code + draft.prompt + draft.hint
        assert len(draft.mistakes) >= 3


def test_keys_are_spread_over_the_letters() -> None:
    letters = Counter(render(t, seed).key_letter for t in TEMPLATES for seed in range(40))
    total = sum(letters.values())
    for letter in LETTERS:
        assert 0.15 <= letters[letter] / total <= 0.35, letters


def test_variant_ids_round_trip_and_find_their_template() -> None:
    template = TEMPLATES[0]
    problem_id = variant_id(template.id, 42)
    assert parse_variant_id(problem_id) == (template.id, 42)
    assert parse_variant_id("challenge-predict-group-lrs") is None
    assert find_template(PACKS, template.id) == template
    with pytest.raises(KeyError):
        find_template(PACKS, "no-such-template")


def test_assemble_refuses_a_variant_whose_mistakes_print_the_key() -> None:
    draft = render(TEMPLATES[0], 0)
    outputs: list[str | None] = ["[1]"] * len(draft.mistakes)
    outputs[0], outputs[1] = "[2]", None  # one real distractor, one mistake that failed
    with pytest.raises(VariantError, match="only 1 mistakes print something other"):
        assemble(draft, "[1]\n", outputs)


# -- the shipped templates, run with real PyTorch --------------------------------------------


class HarnessRunner:
    """generate_variant's runner: real PyTorch results from the warm harness, looked up by code."""

    def __init__(self, ran: dict[str, Ran]) -> None:
        self.ran = ran

    async def run(self, code: str, *, timeout_s: float | None = None, seed: int | None = None):
        return self.ran[code]


def run_every_draw(pairs: list[tuple[Template, int]]) -> dict[str, Ran]:
    """Run each (template, seed)'s draws in batches until every one has a sound draw.

    One harness interpreter per batch: the first runs every first draw, later ones only
    the redraws of seeds whose first draw had too few distinct distractors.
    """
    ran: dict[str, Ran] = {}
    pending = [(template, seed, 0) for template, seed in pairs]
    while pending:
        drafts = [render(template, seed, attempt) for template, seed, attempt in pending]
        ran.update(run_codes(code for draft in drafts for code in draft.codes if code not in ran))
        pending = []
        for draft in drafts:
            outputs = [
                ran[code].stdout if ran[code].returncode == 0 else None
                for _, code in draft.mistakes
            ]
            try:
                assemble(draft, ran[draft.code].stdout, outputs)
            except VariantError:
                assert draft.attempt < 5, f"{draft.template.id} seed {draft.seed} never sound"
                pending.append((draft.template, draft.seed, draft.attempt + 1))
    return ran


@pytest.fixture(scope="module")
def sampled() -> dict[str, tuple[Problem, HarnessRunner]]:
    if importlib.util.find_spec("torch") is None:
        pytest.skip("needs torch")
    pairs = [(template, seed) for template in TEMPLATES for seed in SAMPLED_SEEDS]
    runner = HarnessRunner(run_every_draw(pairs))

    async def generate_all() -> list[Problem]:
        return [await generate_variant(template, seed, runner) for template, seed in pairs]

    return {p.id: (p, runner) for p in asyncio.run(generate_all())}


@needs_torch
def test_every_sampled_variant_is_true_by_construction(sampled) -> None:
    assert len(sampled) == len(TEMPLATES) * len(SAMPLED_SEEDS)
    for problem, runner in sampled.values():
        template_id, seed = parse_variant_id(problem.id) or ("", -1)
        template = find_template(PACKS, template_id)
        assert problem.code is not None and problem.kind == "predict-output"
        real = " ".join(runner.ran[problem.code].stdout.split())
        assert problem.answer_text == real, problem.id
        assert len(set(problem.choices.values())) == 4
        # Every distractor is what one of this variant's named mistakes really prints.
        mistake_codes = {
            code for attempt in range(6) for _, code in render(template, seed, attempt).mistakes
        }
        wrong_outputs = {
            " ".join(runner.ran[code].stdout.split())
            for code in mistake_codes
            if code in runner.ran and runner.ran[code].returncode == 0
        }
        for letter, text in problem.choices.items():
            if letter != problem.answer:
                assert text in wrong_outputs, (problem.id, text)
        assert problem.solution.final.endswith(f"-> Option {problem.answer}")
        assert len(problem.solution.common_mistakes) == 3


@needs_torch
def test_sampled_variants_carry_no_cues(sampled) -> None:
    problems = [problem for problem, _ in sampled.values()]
    longest = [p.id for p in problems if key_is_strictly_longest(p)]
    assert len(longest) <= 0.30 * len(problems), longest
    for problem in problems:
        assert " ".join(problem.answer_text.split()).casefold() not in problem.hint.casefold()
        for text in learner_texts(problem):
            assert not SEED_WORD.search(text), (problem.id, text)
        assert "variant" in problem.tags and problem.topic
