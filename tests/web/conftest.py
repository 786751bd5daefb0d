"""Fixtures for the dashboard's browser tests: one seeded database (made read-only, as a
deployment may mount it), the dashboard serving it on 127.0.0.1, and headless Chromium.

The browser is Debian's `chromium` driven by Playwright's Python package through
`executable_path`; Playwright never downloads a browser here. Without chromium the tests
skip, except in CI (CI=true), where a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from .support import Seeded, seed

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("dashboard")
    made = asyncio.run(seed(folder / "quiz.db"))
    for extra in folder.iterdir():  # the writer has closed: no -wal / -shm remain
        assert extra.name == "quiz.db", extra
    made.path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # 0444
    folder.chmod(0o555)
    before = digest(made.path)
    yield made
    folder.chmod(0o755)
    assert digest(made.path) == before, "the dashboard changed the database file"


def chromium_or_skip() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed in CI (.ci/run installs Debian's chromium)")
    pytest.skip("headless Chromium is not installed: apt-get install -y chromium")


@pytest.fixture
async def browser() -> AsyncIterator:
    executable = chromium_or_skip()
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
