"""The engine stays pure: no chat SDK, database driver, torch, HTTP or YAML library."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import bot.engine

FORBIDDEN = (
    "discord",
    "slack_bolt",
    "slack_sdk",
    "aiosqlite",
    "sqlite3",
    "_sqlite3",
    "torch",
    "aiohttp",
    "yaml",
)
ENGINE_DIR = Path(bot.engine.__file__).resolve().parent
REPO = ENGINE_DIR.parents[1]
ENGINE_FILES = sorted(ENGINE_DIR.glob("*.py"))
EXPECTED_MODULES = {
    "badges",
    "clock",
    "errors",
    "game",
    "modes",
    "periods",
    "scoring",
    "selection",
    "state",
    "views",
    # the learning models
    "adaptive",
    "evidence",
    "item_analysis",
    "ratings",
    "repeats",
    "review",
    # fixed problems and generated variants, one lookup
    "bank",
}


def test_engine_package_has_the_modules_under_guard() -> None:
    names = {path.stem for path in ENGINE_FILES} - {"__init__"}
    assert names >= EXPECTED_MODULES


def test_importing_every_engine_module_pulls_in_no_forbidden_library() -> None:
    script = f"""
import importlib, json, pkgutil, sys
import bot.engine
for info in pkgutil.walk_packages(bot.engine.__path__, "bot.engine."):
    importlib.import_module(info.name)
forbidden = {FORBIDDEN!r}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
engine = sorted(m for m in sys.modules if m.startswith("bot.engine."))
print(json.dumps({{"loaded": loaded, "engine": engine}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert {m.removeprefix("bot.engine.") for m in report["engine"]} >= EXPECTED_MODULES


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def test_engine_source_imports_nothing_forbidden() -> None:
    offenders = {
        path.name: sorted(_imported_roots(path) & set(FORBIDDEN))
        for path in ENGINE_FILES
        if _imported_roots(path) & set(FORBIDDEN)
    }
    assert offenders == {}


def test_engine_only_reaches_outside_itself_for_pure_problem_data() -> None:
    """Besides the stdlib, the engine may only use problems.model (plain dataclasses)."""
    for path in ENGINE_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                root = node.module.split(".")[0]
                if root in ("problems", "storage", "bot", "runner"):
                    allowed = node.module == "problems.model" or node.module.startswith(
                        "bot.engine"
                    )
                    assert allowed, f"{path.name} imports {node.module}"


def test_guard_would_catch_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import sqlite3\nfrom discord.ext import commands\nimport os\n")
    assert _imported_roots(sample) & set(FORBIDDEN) == {"sqlite3", "discord"}
