"""`lrquiz web` as a user runs it: a real process, a real port, the printed link."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
import time
from pathlib import Path

import aiohttp

from bot.engine.clock import FakeClock
from tests.storage.support import Services, play_run, ref

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LRQUIZ_WEB_SECRET": "",
        "LRQUIZ_WEB_URL": "",
        "XDG_DATA_HOME": str(tmp_path / "xdg"),
        "DISPLAY": "",
        "WAYLAND_DISPLAY": "",
    }


async def test_open_prints_a_link_to_the_terminals_own_board(tmp_path: Path) -> None:
    db_path = tmp_path / "quiz.db"
    services = Services(FakeClock(time.time()))
    service = await services.open(db_path)
    me = await service.player_id(ref("kim"))
    run = await service.start(me, "challenge", seed=1)
    await play_run(service, run.id, me, lambda p: [p.answer])
    await services.aclose()
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "web",
        "--db",
        str(db_path),
        "--port",
        str(port),
        "--open",
        "--user",
        "id-kim",
        "--runner",
        "off",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(tmp_path),
    )
    try:
        lines = []
        while not any("Your dashboard:" in line for line in lines):
            line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
            assert line, (lines, (await proc.stderr.read()).decode())
            lines.append(line)
        assert f"serving http://127.0.0.1:{port}/ from {db_path} (read-only)" in lines[0]
        link = re.search(r"Your dashboard: (\S+)", lines[-1]).group(1)
        assert link.startswith(f"http://127.0.0.1:{port}/terminal/local/?t=")
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            async with http.get(link) as response:
                assert response.status == 200
                assert str(response.url) == f"http://127.0.0.1:{port}/terminal/local/"
            async with http.get(f"http://127.0.0.1:{port}/terminal/local/?period=all") as r:
                page = await r.text()
            assert "kim" in page and 'class="mine"' in page
            async with http.get(f"http://127.0.0.1:{port}/terminal/local/admin/items") as r:
                assert r.status == 200  # the terminal's own link is an admin link
        secret = db_path.with_name("quiz.db.web-secret")
        assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    finally:
        proc.terminate()
        await proc.wait()


async def test_a_missing_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "web",
        "--db",
        str(tmp_path / "none.db"),
        "--port",
        str(free_port()),
        "--runner",
        "off",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(tmp_path),
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 1
    assert err.decode().strip() == f"lrquiz: error: {tmp_path / 'none.db'}: no such database file"
    assert not (tmp_path / "none.db").exists()
