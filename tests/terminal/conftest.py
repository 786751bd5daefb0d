"""Fixtures for the end-to-end terminal tests: the shipped pack and a private database path."""

from __future__ import annotations

from pathlib import Path

import pytest

from problems.loader import default_pack
from problems.model import Pack


@pytest.fixture(scope="session")
def pack() -> Pack:
    return default_pack()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"
