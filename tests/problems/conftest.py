"""Fixtures for the problem-pack tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def write_pack(tmp_path: Path):
    """Write YAML text to a file in tmp_path and return its path."""

    def write(text: str, name: str = "pack.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
