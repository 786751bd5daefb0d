"""A second runner with a token, one slot, a tiny queue and frequent zygote restarts."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from runner.client import RunnerClient
from tests.runner.conftest import (
    REPO,
    RunnerProcess,
    nonce,
    post,
    request,
    start_runner,
    stop_runner,
)

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def strict(runner_tmp: Path, cache_path: Path) -> Iterator[RunnerProcess]:
    args = ["--slots", "1", "--max-queue", "1", "--restart-after-jobs", "6"]
    args += ["--read-timeout", "1", "--max-connections", "64"]
    args += ["--cache", str(cache_path)]
    if os.getuid() == 0:
        args.append("--require-isolation")
    proc = start_runner(runner_tmp, *args, env={"LRQUIZ_RUNNER_TOKEN": TOKEN})
    yield proc
    stop_runner(proc)


def test_token_is_required_when_configured(strict: RunnerProcess) -> None:
    body = {"code": f"print({nonce()})"}
    assert post(strict.url, body)[0] == 401
    status, headers, answer = post(strict.url, body, token="wrong")
    assert status == 401 and "token" in answer["error"]
    assert headers.get("WWW-Authenticate") == "Bearer"
    status, _, answer = post(strict.url, body, token=TOKEN)
    assert status == 200 and answer["status"] == "ok"
    assert request(strict.url + "/v1/health")[0] == 200  # load balancers probe without it


def test_health_without_the_token_tells_only_up_and_torch(strict: RunnerProcess) -> None:
    status, _, anonymous = request(strict.url + "/v1/health")
    assert status == 200 and anonymous == {"ok": True, "torch": "2.13.0"}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    status, _, full = request(strict.url + "/v1/health", headers=headers)
    assert status == 200 and {"isolation", "zygote", "queue"} <= set(full)
    assert full["isolation"]["seccomp"] in (True, False)


def _raw(strict: RunnerProcess, head: bytes, body: bytes = b"") -> socket.socket:
    host, port = strict.url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(head + body)
    return sock


def _status_line(sock: socket.socket) -> bytes:
    with sock:
        return sock.recv(65536).split(b"\r\n", 1)[0]


def test_bad_tokens_are_401_before_any_body_is_read(strict: RunnerProcess) -> None:
    for token in (b"wrong", "caf\u00e9 \u2603".encode(), b"\xff\xfe"):
        head = (
            b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + token + b"\r\nContent-Length: 200000\r\n\r\n"
        )
        assert _status_line(_raw(strict, head)).startswith(b"HTTP/1.1 401"), token
    _still_serves(strict)


def _still_serves(strict: RunnerProcess) -> None:
    value = nonce()
    status, _, result = post(strict.url, {"code": f"print({value} * 3)"}, token=TOKEN)
    assert status == 200 and result["stdout"] == f"{value * 3}\n", result


def test_a_body_that_never_arrives_is_408(strict: RunnerProcess) -> None:
    head = (
        b"POST /v1/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Length: 100\r\n\r\n"
    )
    started = time.monotonic()
    assert _status_line(_raw(strict, head, b'{"code": ')).startswith(b"HTTP/1.1 408")
    assert time.monotonic() - started < 5
    _still_serves(strict)


def test_half_sent_requests_neither_exhaust_nor_lock_out(strict: RunnerProcess) -> None:
    stalled = [_raw(strict, b"POST /v1/run HTTP/1.1\r\nHost: x\r\n") for _ in range(150)]
    try:
        value = nonce()
        status, _, result = post(strict.url, {"code": f"print({value})"}, token=TOKEN)
        assert status == 200 and result["stdout"] == f"{value}\n"
        assert len(os.listdir(f"/proc/{strict.proc.pid}/fd")) < 64 + 60  # capped, not 150+
        time.sleep(1.5)  # past the head deadline: the server hung up on every one
        for sock in stalled:
            sock.settimeout(2)
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(100) == b""
    finally:
        for sock in stalled:
            sock.close()


@pytest.mark.skipif(os.getuid() != 0, reason="full isolation needs root")
def test_require_isolation_started_with_every_layer(strict: RunnerProcess) -> None:
    isolation = strict.health()["isolation"]
    assert isolation and all(isolation.values()), isolation


async def test_saturated_runner_answers_503_with_retry_after(strict: RunnerProcess) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(i: int) -> tuple[int, str | None]:
            code = f"import time\ntime.sleep(0.6)\nprint({nonce()}, {i})"
            async with session.post(strict.url + "/v1/run", json={"code": code}) as response:
                await response.read()
                return response.status, response.headers.get("Retry-After")

        answers = await asyncio.gather(*(one(i) for i in range(5)))
    statuses = [status for status, _ in answers]
    assert statuses.count(200) >= 2  # one running, one queued
    assert 503 in statuses
    assert all(int(retry) >= 1 for status, retry in answers if status == 503)


async def test_client_retries_503_until_served(strict: RunnerProcess) -> None:
    async with RunnerClient(strict.url, TOKEN) as client:
        codes = [f"import time\ntime.sleep(0.2)\nprint({nonce()})" for _ in range(4)]
        results = await asyncio.gather(*(client.run(code) for code in codes))
    assert [r.status for r in results] == ["ok"] * 4


def test_periodic_zygote_restart_keeps_serving(strict: RunnerProcess) -> None:
    generation = strict.health()["zygote"]["generation"]
    for _ in range(10):
        value = nonce()
        status, _, result = post(strict.url, {"code": f"print({value} * 2)"}, token=TOKEN)
        assert status == 200 and result["stdout"] == f"{value * 2}\n", result
    deadline = time.monotonic() + 60  # the replacement warms up while the old one serves
    while strict.health()["zygote"]["generation"] == generation:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    value = nonce()
    status, _, result = post(strict.url, {"code": f"print({value})"}, token=TOKEN)
    assert status == 200 and result["stdout"] == f"{value}\n"


def test_cache_is_shared_through_the_database(runner: RunnerProcess, strict: RunnerProcess) -> None:
    code = f"import torch\nprint(torch.zeros(2) + {nonce()})"
    assert runner.run(code)["cached"] is False
    for _ in range(50):  # the write-behind lands within milliseconds
        status, _, result = post(strict.url, {"code": code}, token=TOKEN)
        if result["cached"]:
            break
    assert status == 200 and result["cached"] is True


def _serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runner", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def test_public_bind_without_token_is_refused() -> None:
    env = {"LRQUIZ_RUNNER_TOKEN": ""}
    done = _serve("--host", "0.0.0.0", "--port", "0", "--cache", ":memory:", env=env)
    assert done.returncode == 1
    assert done.stderr.startswith("lrquiz: error: binding to 0.0.0.0 needs a token")
    assert len(done.stderr.strip().splitlines()) == 1


def test_busy_port_is_a_one_line_error(runner: RunnerProcess) -> None:
    port = runner.url.rsplit(":", 1)[1]
    done = _serve("--port", port, "--cache", ":memory:")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("lrquiz: error: cannot listen on")
    assert "Traceback" not in done.stderr


def test_bad_flags_are_usage_errors() -> None:
    for args in (["--port", "70000"], ["--slots", "0"], ["--slots", "17"], ["--max-timeout", "x"]):
        done = _serve(*args)
        assert done.returncode == 2
        assert "error:" in done.stderr and "Traceback" not in done.stderr


def test_register_adds_runner_serve_to_a_cli() -> None:
    import argparse

    from runner.cli import register, serve_command

    parser = argparse.ArgumentParser(prog="lrquiz")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["runner", "serve", "--port", "0", "--require-isolation"])
    assert args.func is serve_command
    assert (args.host, args.port, args.require_isolation) == ("127.0.0.1", 0, True)


@pytest.mark.skipif(os.getuid() != 0, reason="needs every layer to be available")
def test_require_isolation_refuses_a_missing_layer() -> None:
    done = _serve(
        "--port", "0", "--cache", ":memory:", "--require-isolation", "--without", "seccomp"
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "lrquiz: error: --require-isolation: missing layers: seccomp: switched off with --without"
    )


@pytest.mark.skipif(os.getuid() != 0, reason="needs cgroups to switch off")
def test_without_cgroups_leftover_processes_are_still_killed(runner_tmp: Path) -> None:
    proc = start_runner(
        runner_tmp, "--cache", ":memory:", "--without", "cgroup_pids", "--without", "cgroup_memory"
    )
    try:
        health = proc.health()
        assert health["isolation"]["cgroup_pids"] is False
        assert "--without" in health["isolation_missing"]["cgroup_pids"]
        code = "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nprint('parent done')"
        result = proc.run(code)
        assert (result["status"], result["stdout"]) == ("ok", "parent done\n")
        from tests.runner.test_hostile import wait_no_job_processes

        wait_no_job_processes(proc)
    finally:
        stop_runner(proc)
