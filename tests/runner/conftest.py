"""Fixtures that drive a real runner process over real HTTP.

Warming a zygote costs a few seconds, so the main runner is session-scoped and shared;
tests make their snippets unique (a nonce) whenever they must not hit the cache.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
_nonce = itertools.count(1)


def nonce() -> int:
    """A number unique in this test session (whose cache starts empty), to avoid hits."""
    return next(_nonce)


@dataclass
class RunnerProcess:
    url: str
    proc: subprocess.Popen[str]
    log: Path
    token: str | None = None

    def health(self) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        status, _, body = request(self.url + "/v1/health", headers=headers)
        assert status == 200, body
        return body

    def run(self, code: str, **fields: Any) -> dict[str, Any]:
        status, _, body = post(self.url, {"code": code, **fields})
        assert status == 200, body
        return body


def request(
    url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        return exc.code, dict(exc.headers), body


def post(
    base_url: str, body: dict[str, Any] | bytes, token: str | None = None
) -> tuple[int, dict[str, str], Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request(base_url + "/v1/run", data, headers)


def start_runner(
    tmp: Path,
    *args: str,
    env: dict[str, str] | None = None,
    wait_ready: bool = True,
    prefix: tuple[str, ...] = (),
) -> RunnerProcess:
    """Start ``python -m runner serve --port 0`` (after ``prefix``, e.g. a command that
    takes capabilities away) and wait for the URL (and a warm zygote)."""
    log = tmp / f"runner-{nonce()}.log"
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-m", "runner", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env=full_env,
        cwd=str(REPO),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"listening on (http://\S+)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"runner did not start: {line!r}\n{log.read_text()}")
    runner = RunnerProcess(match.group(1), proc, log, (env or {}).get("LRQUIZ_RUNNER_TOKEN"))
    if wait_ready:
        deadline = time.monotonic() + 90
        while not runner.health()["ok"]:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    return runner


def stop_runner(runner: RunnerProcess) -> None:
    runner.proc.terminate()
    try:
        runner.proc.wait(15)
    except subprocess.TimeoutExpired:
        runner.proc.kill()
        runner.proc.wait()


@pytest.fixture(scope="session")
def runner_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("runner")


@pytest.fixture(scope="session")
def cache_path(runner_tmp: Path) -> Path:
    return runner_tmp / "cache.db"


@pytest.fixture(scope="session")
def secret_env() -> dict[str, str]:
    """A secret in the server's environment that no snippet may see."""
    return {"LRQUIZ_TEST_SECRET": "hunter2-do-not-leak"}


@pytest.fixture(scope="session")
def runner(
    runner_tmp: Path, cache_path: Path, secret_env: dict[str, str]
) -> Iterator[RunnerProcess]:
    proc = start_runner(runner_tmp, "--cache", str(cache_path), env=secret_env)
    yield proc
    stop_runner(proc)


@pytest.fixture()
def healthy(runner: RunnerProcess) -> Iterator[RunnerProcess]:
    """Yields the runner, then checks that a normal snippet still gives the right output."""
    yield runner
    value = nonce()
    result = runner.run(f"import torch\nprint(torch.tensor([2.0]) * {value})")
    assert result["status"] == "ok", result
    assert result["stdout"] == f"tensor([{2 * value}.])\n"
    assert runner.health()["ok"]
