"""A runner the caller starts itself, so ``lrquiz play`` stays a single command.

With ``LRQUIZ_RUNNER_URL`` unset, ``runner_client()`` launches ``python -m runner serve`` on
a free loopback port in the background and hands back a client at once; the client's first
call waits (bounded) for the runner to be warm. Nothing here raises into the game: any
failure, including torch not being installed, surfaces as ``RunnerUnavailable`` on use.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import IO, Any

import runner as runner_package
from runner.client import RunnerClient, RunnerUnavailable, RunResult

URL_ENV = "LRQUIZ_RUNNER_URL"
TOKEN_ENV = "LRQUIZ_RUNNER_TOKEN"
START_TIMEOUT_S = 90.0
LISTEN_RE = re.compile(r"listening on (http://\S+)")


class LocalRunner:
    """A child ``runner serve`` process with a random token, started in the background."""

    def __init__(self, extra_args: tuple[str, ...] = ()) -> None:
        self.extra_args = extra_args
        self.url: str | None = None
        self.token = secrets.token_urlsafe(24)
        self.proc: asyncio.subprocess.Process | None = None
        self.log: IO[bytes] | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._launch())

    def _last_log_line(self) -> str:
        if self.log is None:
            return ""
        with contextlib.suppress(OSError):
            self.log.seek(0)
            lines = [ln for ln in self.log.read().decode(errors="replace").splitlines() if ln]
            return lines[-1] if lines else ""
        return ""

    async def _launch(self) -> None:
        if importlib.util.find_spec("torch") is None:
            raise RunnerUnavailable("PyTorch is not installed, so real output is unavailable")
        package_parent = os.path.dirname(os.path.dirname(os.path.abspath(runner_package.__file__)))
        path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH")) if p)
        env = {**os.environ, TOKEN_ENV: self.token, "PYTHONPATH": path}
        env.pop(URL_ENV, None)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115  # closed in stop()
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "runner",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--die-with-parent",
            *self.extra_args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=self.log,
            env=env,
            start_new_session=True,  # Ctrl-C in the game must not hit the runner directly
        )
        assert self.proc.stdout is not None
        line = (await self.proc.stdout.readline()).decode(errors="replace")
        match = LISTEN_RE.search(line)
        if not match:
            await self.proc.wait()
            reason = self._last_log_line() or f"exit status {self.proc.returncode}"
            raise RunnerUnavailable(f"local runner failed to start: {reason}")
        self.url = match.group(1)
        async with RunnerClient(self.url, self.token, request_timeout_s=5) as probe:
            while True:
                with contextlib.suppress(RunnerUnavailable):
                    if (await probe.health()).get("ok"):
                        return
                if self.proc.returncode is not None:
                    raise RunnerUnavailable(f"local runner exited: {self._last_log_line()}")
                await asyncio.sleep(0.1)

    async def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """The runner's URL once it is warm; RunnerUnavailable if it cannot get there."""
        if self.task is None:
            raise RunnerUnavailable("local runner was not started")
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout_s)
        except TimeoutError:
            raise RunnerUnavailable("local runner is still starting; try again later") from None
        except RunnerUnavailable:
            raise
        except Exception as exc:
            raise RunnerUnavailable(f"local runner failed to start: {exc}") from None
        assert self.url is not None
        return self.url

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.task is not None:
            with contextlib.suppress(BaseException):
                await self.task
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                await self.proc.wait()
        if self.log is not None:
            self.log.close()


class LocalRunnerClient(RunnerClient):
    """A RunnerClient whose calls first wait for the background runner to be ready."""

    def __init__(self, local: LocalRunner, ready_timeout_s: float = START_TIMEOUT_S) -> None:
        super().__init__("http://127.0.0.1:0", local.token)
        self.local = local
        self.ready_timeout_s = ready_timeout_s

    async def _ready(self) -> None:
        started = time.monotonic()
        self.base_url = await self.local.wait_ready(self.ready_timeout_s)
        self.ready_timeout_s = max(0.0, self.ready_timeout_s - (time.monotonic() - started))

    async def run(
        self,
        code: str,
        *,
        timeout_s: float | None = None,
        seed: int | None = None,
        client: str | None = None,
    ) -> RunResult:
        await self._ready()
        return await super().run(code, timeout_s=timeout_s, seed=seed, client=client)

    async def health(self) -> dict[str, Any]:
        await self._ready()
        return await super().health()


@asynccontextmanager
async def runner_client(
    url: str | None = None, token: str | None = None
) -> AsyncIterator[RunnerClient]:
    """A client for ``url``, ``$LRQUIZ_RUNNER_URL``, or a runner started here and now."""
    url = url or os.environ.get(URL_ENV) or None
    if url:
        async with RunnerClient(url, token or os.environ.get(TOKEN_ENV) or None) as client:
            yield client
        return
    local = LocalRunner()
    local.start()
    client = LocalRunnerClient(local)
    try:
        yield client
    finally:
        await client.close()
        await local.stop()
