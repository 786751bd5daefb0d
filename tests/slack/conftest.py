"""Fixtures: the fake Slack, a FakeClock, the Slack app on a temp database, a real runner."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("slack_bolt")

from bot.engine.clock import FakeClock
from problems.loader import default_pack
from problems.model import Pack

from .fake_slack import FakeSlack
from .support import Harness, make_bot

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def pack() -> Pack:
    return default_pack()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "slack.db"


@pytest.fixture
async def slack(
    db_path: Path, fake: FakeSlack, clock: FakeClock, pack: Pack
) -> AsyncIterator[Harness]:
    harness = Harness(fake, await make_bot(db_path, fake, clock, [pack]), clock)
    yield harness
    await harness.close()


@dataclass
class RunnerProcess:
    url: str
    token: str


@pytest.fixture(scope="session")
def runner_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunnerProcess]:
    """One real runner for the suite (a few seconds to warm), so real output is real."""
    pytest.importorskip("torch")
    token = secrets.token_urlsafe(16)
    log = tmp_path_factory.mktemp("runner") / "runner.log"
    env = {**os.environ, "LRQUIZ_RUNNER_TOKEN": token}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "runner", "serve", "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            text=True,
        )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        proc.kill()
        pytest.fail(f"runner did not start: {line!r} {log.read_text()}")
    try:
        yield RunnerProcess(match.group(1), token)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
