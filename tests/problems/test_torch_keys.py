"""Every key on a code-bearing problem is what real PyTorch does (CI installs torch==2.13.0)."""

from __future__ import annotations

import functools
import importlib.util
import json
import subprocess
import sys
from dataclasses import dataclass

import pytest

from problems.loader import default_packs
from problems.model import Problem

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


# One interpreter imports torch once, then runs every snippet in its own fork, as
# `python -c` would (fresh globals, its own stdout/stderr, traceback on error). With the
# bank at 40+ problems a cold interpreter per snippet would cost minutes.
HARNESS = r"""
import json, os, signal, sys, tempfile, traceback
import torch  # noqa: F401  (imported once, before the forks)
import torch._dynamo  # noqa: F401  (the first optimizer built imports it: ~1 s per snippet)
import torch.optim.lr_scheduler  # noqa: F401

results = []
for code in json.load(sys.stdin):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            signal.alarm(60)
            status = 0
            try:
                exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
            except BaseException:
                traceback.print_exc()
                status = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
        _, wait_status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        results.append({
            "returncode": os.waitstatus_to_exitcode(wait_status),
            "stdout": out.read().decode(),
            "stderr": err.read().decode(),
        })
json.dump(results, sys.__stdout__)
"""


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


@functools.cache
def _run_all() -> dict[str, Ran]:
    codes = sorted(
        {p.code for pack in default_packs() for p in pack.problems if p.code is not None}
    )
    done = subprocess.run(
        [sys.executable, "-c", HARNESS],
        input=json.dumps(codes),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return {
        code: Ran(**result) for code, result in zip(codes, json.loads(done.stdout), strict=True)
    }


def run_snippet(code: str) -> Ran:
    return _run_all()[code]


def test_packs_record_the_torch_release_their_keys_hold_on() -> None:
    """verified_torch names the installed release: the one these tests just checked."""
    import torch

    installed = torch.__version__.split("+", 1)[0]
    for pack in default_packs():
        if any(p.code for p in pack.problems):
            assert pack.verified_torch == installed, pack.id


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
