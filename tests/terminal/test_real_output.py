"""Predict-output reveals backed by a real runner process (and by one that is not there)."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from bot.engine.selection import select_problems
from problems.loader import load_pack
from problems.model import KINDS, Pack, Problem
from runner.local import LISTEN_RE

from .support import (
    REPO,
    assert_clean,
    assert_played_clean,
    cli_env,
    drive,
    play,
    query,
    right,
    run_cli,
    shipped_data,
    write_pack,
)

pytest.importorskip("torch")

DEAD_RUNNER = "http://127.0.0.1:9"
SEED_PACK = "seed-challenges"
PRINTED = "[0.001, 0.01]"


@dataclass
class Runner:
    url: str
    token: str
    torch: str


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """One `python -m runner serve` on a free loopback port, warm, with a bearer token."""
    home = tmp_path_factory.mktemp("runner")
    token = secrets.token_urlsafe(16)
    env = cli_env(home, LRQUIZ_RUNNER_TOKEN=token)
    log = (home / "runner.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "serve", "--host", "127.0.0.1", "--port", "0",
         "--cache", ":memory:"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env=env,
        cwd=REPO,
    )  # fmt: skip
    try:
        line = _first_line(proc, 60)
        match = LISTEN_RE.search(line)
        if not match:
            proc.kill()
            proc.wait(10)
            pytest.fail(f"runner did not start: {line!r}\n{(home / 'runner.log').read_text()}")
        url = match.group(1)
        deadline = time.monotonic() + 90
        health: dict = {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/v1/health", timeout=10) as response:
                    health = json.loads(response.read())
            except OSError:
                health = {}
            if health.get("ok"):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"runner never became healthy: {health}")
        yield Runner(url, token, str(health.get("torch", "")))
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def seed_pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Pack]:
    """The seed page's five challenges: one per kind, the predict-output one printing PRINTED."""
    problems = [p for p in shipped_data()["problems"] if p.get("level")]
    chosen = [
        next(
            p
            for p in problems
            if p["kind"] == "predict-output" and p["choices"][p["answer"]] == PRINTED
        )
    ]
    for kind in KINDS:
        if kind != "predict-output":
            chosen.append(next(p for p in problems if p["kind"] == kind))
    path = write_pack(tmp_path_factory.mktemp("pack") / "seed.yaml", SEED_PACK, chosen, "Seed")
    return path, load_pack(path)


def reveal_of(out: str, problem: Problem) -> str:
    """The reveal text after `problem`'s question, up to the next question or the summary."""
    words = [re.escape(w) for w in f"Answer: {problem.answer}. {problem.answer_text}".split()]
    found = re.search(r"\s+".join(words), out)
    assert found is not None, f"no reveal of {problem.id}"
    start = found.start()
    end = out.find("─" * 64, start)
    return out[start : end if end >= 0 else len(out)]


def code_problems(asked: list[Problem]) -> list[Problem]:
    return [p for p in asked if p.code and p.kind in ("predict-output", "debug")]


def seed_args(seed_pack: tuple[Path, Pack]) -> list[str]:
    return ["--packs", str(seed_pack[0]), "--pack", SEED_PACK]


def test_reveal_shows_the_real_pytorch_output(
    runner: Runner, tmp_path: Path, seed_pack: tuple[Path, Pack]
):
    env = cli_env(tmp_path, LRQUIZ_RUNNER_TOKEN=runner.token)
    db = tmp_path / "quiz.db"
    pack = seed_pack[1]
    played = drive(
        tmp_path, db, right, *seed_args(seed_pack), pack=pack, runner=runner.url, env=env
    )
    assert_played_clean(played)
    out = played.stdout
    assert runner.torch == metadata.version("torch").split("+")[0]
    assert runner.torch.startswith("2.13.0")
    heading = f"Real output (PyTorch {runner.torch}):"
    predict = next(p for p in played.asked if p.kind == "predict-output")
    assert f"{heading}\n    │ {PRINTED}\n" in reveal_of(out, predict)
    for problem in code_problems(played.asked):
        assert heading in reveal_of(out, problem), problem.id
    for problem in played.asked:
        if problem not in code_problems(played.asked):
            assert "Real output" not in reveal_of(out, problem), problem.id
    assert out.count("Real output") == len(code_problems(played.asked)) >= 2
    assert "unavailable" not in out
    assert "Score: 5/5" in out
    assert len(query(db, "SELECT * FROM scores WHERE correct = 1")) == 5


def test_shipped_challenge_shows_real_output_for_its_code(
    runner: Runner, tmp_path: Path, pack: Pack
):
    env = cli_env(tmp_path, LRQUIZ_RUNNER_TOKEN=runner.token)
    played = drive(tmp_path, tmp_path / "q.db", right, pack=pack, runner=runner.url, env=env)
    assert_played_clean(played)
    heading = f"Real output (PyTorch {runner.torch}):\n    │ "
    assert code_problems(played.asked)
    for problem in code_problems(played.asked):
        assert heading in reveal_of(played.stdout, problem), problem.id


def test_runner_url_from_the_environment(
    runner: Runner, tmp_path: Path, seed_pack: tuple[Path, Pack]
):
    env = cli_env(tmp_path, LRQUIZ_RUNNER_TOKEN=runner.token, LRQUIZ_RUNNER_URL=runner.url)
    args = ["play", "--user", "ann", "--db", str(tmp_path / "q.db"), *seed_args(seed_pack)]
    answers = "".join(f"{p.answer}\n" for p in challenge_order(seed_pack[1]))
    result = run_cli(tmp_path, *args, stdin=answers, env=env)
    assert_clean(result)
    assert f"Real output (PyTorch {runner.torch}):\n    │ {PRINTED}" in result.stdout


def test_runner_off_flag_overrides_the_environment(
    runner: Runner, tmp_path: Path, seed_pack: tuple[Path, Pack]
):
    env = cli_env(tmp_path, LRQUIZ_RUNNER_TOKEN=runner.token, LRQUIZ_RUNNER_URL=runner.url)
    answers = [p.answer for p in challenge_order(seed_pack[1])]
    result = play(tmp_path, tmp_path / "q.db", answers, *seed_args(seed_pack), env=env)
    assert_clean(result)
    assert "Real output unavailable:\n    (no runner is configured)" in result.stdout
    assert "Real output (PyTorch" not in result.stdout
    assert "Score: 5/5" in result.stdout


def test_wrong_token_keeps_the_game_going(
    runner: Runner, tmp_path: Path, seed_pack: tuple[Path, Pack]
):
    env = cli_env(tmp_path, LRQUIZ_RUNNER_TOKEN="not-the-token")
    args = ["play", "--db", str(tmp_path / "q.db"), "--runner", runner.url, *seed_args(seed_pack)]
    answers = "".join(f"{p.answer}\n" for p in challenge_order(seed_pack[1]))
    result = run_cli(tmp_path, *args, stdin=answers, env=env)
    assert_clean(result)
    assert "Real output unavailable" in result.stdout
    assert "Real output (PyTorch" not in result.stdout
    assert "Score: 5/5" in result.stdout


def test_dead_runner_says_unavailable_and_the_game_goes_on(
    tmp_path: Path, seed_pack: tuple[Path, Pack]
):
    db = tmp_path / "quiz.db"
    started = time.monotonic()
    played = drive(
        tmp_path, db, right, *seed_args(seed_pack), pack=seed_pack[1], runner=DEAD_RUNNER
    )
    elapsed = time.monotonic() - started
    assert_played_clean(played)
    out = played.stdout
    for problem in code_problems(played.asked):
        reveal = reveal_of(out, problem)
        assert "Real output unavailable:" in reveal
        assert "\nSolution\n" in reveal
    assert "Real output (PyTorch" not in out
    assert "Score: 5/5" in out
    assert "Badge earned" in out
    assert elapsed < 20, f"a refused connection stalled the game for {elapsed:.1f} s"
    assert len(query(db, "SELECT * FROM scores WHERE correct = 1")) == 5


def _runner_children_of(home: Path) -> list[int]:
    """Runner processes whose environment has this test's HOME (so only ones we started)."""
    found = []
    marker = f"HOME={home}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"runner\0serve" in cmdline and marker in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
def test_default_local_runner_shows_real_output_and_is_stopped(
    tmp_path: Path, seed_pack: tuple[Path, Pack]
):
    """No --runner and no LRQUIZ_RUNNER_URL: `lrquiz play` starts (and stops) its own runner."""
    order = challenge_order(seed_pack[1])
    predict = next(p for p in order if p.kind == "predict-output")
    upto = order[: order.index(predict) + 1]
    env = cli_env(tmp_path, LRQUIZ_RUNNER_CACHE=str(tmp_path / "cache.db"))
    args = ["play", "--user", "ann", "--db", str(tmp_path / "q.db"), *seed_args(seed_pack)]
    stdin = "".join(f"{p.answer}\n" for p in upto) + "q\n"
    result = run_cli(tmp_path, *args, stdin=stdin, env=env, timeout=120)
    assert_clean(result)
    reveal = reveal_of(result.stdout, predict)
    assert "Real output unavailable" not in reveal, reveal
    assert f"│ {PRINTED}" in reveal
    deadline = time.monotonic() + 10
    while _runner_children_of(Path(env["HOME"])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _runner_children_of(Path(env["HOME"])) == [], "the local runner outlived the game"


def challenge_order(pack: Pack) -> list[Problem]:
    """A pack with one challenge problem per kind plays them in one fixed order."""
    return select_problems("challenge", pack.problems, 0)
