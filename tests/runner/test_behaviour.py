"""Determinism, caching, coalescing and zygote restarts on the shared runner."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from runner.client import RunnerClient
from tests.runner.conftest import RunnerProcess, nonce

SEEDED = (
    "import random, numpy as np, torch\n"
    "print(torch.rand(3).tolist(), random.random(), np.random.rand(), torch.get_num_threads())"
)


def test_same_seed_same_output_different_seed_different(runner: RunnerProcess) -> None:
    def run(seed: int | None) -> str:
        fields = {} if seed is None else {"seed": seed}
        result = runner.run(f"# {nonce()}\n{SEEDED}", **fields)  # nonce: never a cache hit
        assert result["status"] == "ok" and result["cached"] is False, result
        return result["stdout"]

    zero = run(0)
    assert run(0) == zero
    assert run(None) == zero  # the default seed is 0
    assert run(1) != zero
    assert run(1) == run(1)
    assert zero.rstrip().endswith(" 1")  # one thread, always


def test_fresh_interpreter_state_for_every_job(runner: RunnerProcess) -> None:
    polluting = (
        f"# {nonce()}\nimport torch, warnings, sys\n"
        "torch.set_printoptions(precision=1)\nsys.modules['__main__'].leak = 1\n"
        "import builtins\nbuiltins.leaked = True\n"
        "warnings.warn('once')"
    )
    assert runner.run(polluting)["status"] == "ok"
    probe = (
        f"# {nonce()}\nimport torch, builtins, sys, warnings\n"
        "print(torch.tensor([1.23456]), hasattr(builtins, 'leaked'), sys.argv)\n"
        "warnings.warn('once')"
    )
    result = runner.run(probe)
    assert result["stdout"] == "tensor([1.2346]) False ['-c']\n"
    assert "UserWarning: once" in result["stderr"]  # shown, as in a fresh interpreter


def test_lazy_imports_work_inside_the_sandbox(runner: RunnerProcess) -> None:
    code = (
        f"# {nonce()}\nimport torch\n"
        "import torch.nn.functional as F, numpy, math, csv, difflib, zipfile\n"
        "import xml.dom.minidom, sqlite3, torch.optim.swa_utils  # not preloaded\n"
        "print(F.relu(torch.tensor([-1.0, 2.0])), math.pi > 3, numpy.float64(2) ** 2)"
    )
    result = runner.run(code)
    assert result["status"] == "ok", result["stderr"]
    assert result["stdout"] == "tensor([0., 2.]) True 4.0\n"


def test_cache_hit_says_cached(runner: RunnerProcess) -> None:
    code = f"import torch\nprint(torch.ones(2) * {nonce()})"
    first = runner.run(code)
    second = runner.run(code)
    assert first["cached"] is False and second["cached"] is True
    assert {**first, "cached": True} == second
    assert runner.run(code, seed=5)["cached"] is False  # the seed is part of the key
    assert runner.run(code, timeout_s=7)["cached"] is False  # and so are the limits


def test_errors_are_cached_but_timeouts_are_not(runner: RunnerProcess) -> None:
    code = f"x = {nonce()}\nraise ValueError(x)"
    assert runner.run(code)["cached"] is False
    assert runner.run(code)["cached"] is True
    code = f"x = {nonce()}\nwhile True:\n    pass"
    assert runner.run(code, timeout_s=0.5)["status"] == "timeout"
    assert runner.run(code, timeout_s=0.5)["cached"] is False


async def test_concurrent_identical_misses_run_once(runner: RunnerProcess) -> None:
    code = f"import time\ntime.sleep(0.5)\nprint({nonce()})"
    executed = runner.health()["stats"]["executed"]
    async with RunnerClient(runner.url) as client:
        results = await asyncio.gather(*(client.run(code) for _ in range(6)))
    assert {r.stdout for r in results} == {results[0].stdout}
    assert sorted(r.cached for r in results) == [False] + [True] * 5
    assert runner.health()["stats"]["executed"] == executed + 1


def test_zygote_restarts_after_it_is_killed(runner: RunnerProcess) -> None:
    before = runner.health()["zygote"]
    os.kill(before["pid"], signal.SIGKILL)
    result = runner.run(f"import torch\nprint(torch.tensor([{nonce()}]))")  # waits for it
    assert result["status"] == "ok", result
    after = runner.health()["zygote"]
    assert after["pid"] != before["pid"]
    assert after["restarts"] >= before["restarts"] + 1
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # its orphaned children died with it
        try:
            os.kill(before["pid"], 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the killed zygote is still around")
