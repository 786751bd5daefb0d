"""Every key on a code-bearing problem is what real PyTorch does (CI installs torch==2.13.0)."""

from __future__ import annotations

import functools
import importlib.util

import pytest

from problems.loader import default_packs
from problems.model import Problem

from .torch_harness import Ran, run_codes_twice

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="needs torch (pip install 'lrquiz[runner]')"
)


def problems_to_run(mode: str) -> list[Problem]:
    return [
        problem
        for pack in default_packs()
        for problem in pack.problems
        if problem.code is not None and problem.verify_mode == mode
    ]


@functools.cache
def _run_all_twice() -> dict[str, list[Ran]]:
    return run_codes_twice(p.code for pack in default_packs() for p in pack.problems if p.code)


def _run_all() -> dict[str, Ran]:
    return {code: runs[0] for code, runs in _run_all_twice().items()}


def run_snippet(code: str) -> Ran:
    return _run_all()[code]


def test_packs_record_the_torch_release_their_keys_hold_on() -> None:
    """verified_torch names the installed release: the one these tests just checked."""
    import torch

    installed = torch.__version__.split("+", 1)[0]
    for pack in default_packs():
        if any(p.code for p in pack.problems):
            assert pack.verified_torch == installed, pack.id


def test_every_snippet_prints_the_same_twice() -> None:
    """Deterministic code: two runs in fresh forks agree on output and outcome."""
    for code, (first, second) in _run_all_twice().items():
        assert (first.returncode, first.stdout) == (second.returncode, second.stdout), code[:200]


def test_there_are_snippets_to_check() -> None:
    assert len(problems_to_run("stdout")) >= 2
    assert len(problems_to_run("exception")) >= 2


@pytest.mark.parametrize("problem", problems_to_run("stdout"), ids=lambda p: p.id)
def test_predict_output_prints_exactly_the_keyed_choice(problem: Problem) -> None:
    assert problem.code is not None
    result = run_snippet(problem.code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == problem.answer_text
    others = set(problem.choices.values()) - {problem.answer_text}
    assert result.stdout.strip() not in others


@pytest.mark.parametrize("problem", problems_to_run("exception"), ids=lambda p: p.id)
def test_debug_key_matches_the_raised_exception(problem: Problem) -> None:
    assert problem.code is not None
    result = run_snippet(problem.code)
    if problem.answer_text.startswith("No error"):
        assert result.returncode == 0, result.stderr
        return
    expected = problem.answer_text.split(":", 1)[0].rsplit(".", 1)[-1]
    assert result.returncode != 0, "the keyed exception was not raised"
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.split(":", 1)[0].rsplit(".", 1)[-1] == expected
