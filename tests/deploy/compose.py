"""compose.yaml as the tests read it: services, commands, health check URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "compose.yaml"


def services() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def healthcheck_url(service: str) -> str:
    """The URL a service's health check probes (`lrquiz-healthcheck URL`)."""
    test = services()[service]["healthcheck"]["test"]
    assert test[:2] == ["CMD", "lrquiz-healthcheck"], test
    return test[2]


def healthcheck_path(service: str) -> str:
    return urlparse(healthcheck_url(service)).path
