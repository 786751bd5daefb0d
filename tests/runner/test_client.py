"""The bot-side client and the self-starting local runner."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from runner import local
from runner.client import RunnerClient, RunnerRejected, RunnerUnavailable, RunResult
from tests.runner.conftest import RunnerProcess, nonce


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
async def fake_runner() -> AsyncIterator[str]:
    """An HTTP server answering like a broken runner: HTML errors and garbage bodies."""

    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="<html>oops</html>")

    async def garbage(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/broken/v1/run", broken)
    app.router.add_post("/garbage/v1/run", garbage)
    app_runner = web.AppRunner(app)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{app_runner.addresses[0][1]}"
    await app_runner.cleanup()


async def test_client_runs_code(runner: RunnerProcess) -> None:
    async with RunnerClient(runner.url) as client:
        result = await client.run(f"print({nonce()} + 1)", seed=3, timeout_s=5)
        assert isinstance(result, RunResult)
        assert result.ok and result.stdout.strip().isdigit()
        assert result.runtime["torch"] == "2.13.0"
        assert (await client.health())["ok"] is True


async def test_client_raises_one_line_errors(fake_runner: str) -> None:
    for url in (f"http://127.0.0.1:{_free_port()}", fake_runner + "/broken"):
        async with RunnerClient(url, request_timeout_s=5) as client:
            with pytest.raises(RunnerUnavailable) as info:
                await client.run("print(1)")
            assert "\n" not in str(info.value)
    async with RunnerClient(fake_runner + "/garbage") as client:
        with pytest.raises(RunnerUnavailable, match="malformed"):
            await client.run("print(1)")


async def test_client_reports_rejections(runner: RunnerProcess) -> None:
    async with RunnerClient(runner.url) as client:
        with pytest.raises(RunnerRejected) as info:
            await client.run("print(1)", timeout_s=-1)
    assert info.value.status == 400 and "timeout_s" in str(info.value)


async def test_runner_client_uses_the_configured_url(
    runner: RunnerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LRQUIZ_RUNNER_URL", runner.url)
    async with local.runner_client() as client:
        assert client.base_url == runner.url
        assert (await client.run(f"print({nonce()})")).ok


async def test_runner_client_starts_a_local_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LRQUIZ_RUNNER_URL", raising=False)
    monkeypatch.setenv("LRQUIZ_RUNNER_CACHE", ":memory:")
    async with local.runner_client() as client:
        assert isinstance(client, local.LocalRunnerClient)
        result = await client.run("import torch\nprint(torch.tensor([1.5]) * 2)")
        assert (result.status, result.stdout) == ("ok", "tensor([3.])\n")
        proc = client.local.proc
    assert proc is not None and proc.returncode is not None  # stopped on exit


async def test_without_torch_the_local_client_is_unavailable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LRQUIZ_RUNNER_URL", raising=False)
    monkeypatch.setattr(local.importlib.util, "find_spec", lambda name: None)
    async with local.runner_client() as client:
        with pytest.raises(RunnerUnavailable, match="PyTorch is not installed"):
            await client.run("print(1)")
