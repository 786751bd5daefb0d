"""Fixtures: a fake Discord REST API, a bot logged in against it, and a real runner."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from discord.http import Route

from bot.engine.clock import FakeClock
from runner.client import RunnerClient

from .fake_api import FakeDiscord
from .support import Harness

REPO = Path(__file__).resolve().parents[2]
T0 = 1_780_000_000.0


@pytest.fixture(autouse=True)
def _restore_api_base() -> Iterator[None]:
    base = Route.BASE
    yield
    Route.BASE = base


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"


@pytest.fixture
async def api() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def h(api: FakeDiscord, db_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    """A bot without a runner: real output shows as unavailable (the runner has its tests)."""
    harness = await Harness.start(api, db_path, clock)
    yield harness
    await harness.close()


@pytest.fixture(scope="session")
def runner_server() -> Iterator[tuple[str, str]]:
    """One real `runner serve` for the whole session (~5 s to warm PyTorch): (url, token)."""
    token = "discord-tests"
    env = {
        **os.environ,
        "LRQUIZ_RUNNER_TOKEN": token,
        "LRQUIZ_RUNNER_CACHE": ":memory:",
        "PYTHONPATH": str(REPO),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "serve", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = re.search(r"listening on (http://\S+)", proc.stdout.readline())
        if not match:
            pytest.skip("the runner did not start")
        url = match.group(1)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError):
                request = urllib.request.Request(
                    f"{url}/v1/health", headers={"Authorization": f"Bearer {token}"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    if json.load(response).get("ok"):
                        break
            time.sleep(0.1)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
async def runner(runner_server: tuple[str, str]) -> AsyncIterator[RunnerClient]:
    url, token = runner_server
    async with RunnerClient(url, token) as client:
        yield client
