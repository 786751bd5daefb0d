"""The result cache on its own: keys, persistence, and surviving a bad database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from runner.cache import ResultCache, cache_key, cacheable, default_cache_path
from runner.limits import Limits
from runner.pipes import CellPipes, JobOutput, assemble_result

RUNTIME = {"python": "3.11.7", "torch": "2.13.0", "torch_build": "2.13.0+cpu", "threads": 1}


def test_key_covers_code_seed_limits_and_runtime() -> None:
    base = cache_key("print(1)", 0, 5.0, {"memory_mb": 512}, RUNTIME)
    assert base == cache_key("print(1)", 0, 5.0, {"memory_mb": 512}, dict(RUNTIME))
    variants = [
        cache_key("print(2)", 0, 5.0, {"memory_mb": 512}, RUNTIME),
        cache_key("print(1)", 1, 5.0, {"memory_mb": 512}, RUNTIME),
        cache_key("print(1)", 0, 6.0, {"memory_mb": 512}, RUNTIME),
        cache_key("print(1)", 0, 5.0, {"memory_mb": 256}, RUNTIME),
        cache_key("print(1)", 0, 5.0, {"memory_mb": 512}, {**RUNTIME, "torch_build": "2.14.0"}),
        cache_key("print(1)", 0, 5.0, {"memory_mb": 512}, {**RUNTIME, "threads": 2}),
        cache_key("print(1)", 0, 5.0, {"memory_mb": 512}, {**RUNTIME, "python": "3.12.0"}),
    ]
    assert base not in variants and len(set(variants)) == len(variants)


async def test_results_persist_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.db"
    first = ResultCache(path)
    await first.open()
    first.put("k", {"status": "ok", "stdout": "1\n"})
    await first.close()
    second = ResultCache(path)
    await second.open()
    assert await second.get("k") == {"status": "ok", "stdout": "1\n"}
    assert await second.get("missing") is None
    assert second.info()["persistent"] is True
    await second.close()


async def test_unusable_database_falls_back_to_memory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "cache.db"
    bad.write_bytes(b"this is not a sqlite database" * 100)
    cache = ResultCache(bad)
    await cache.open()
    cache.put("k", {"status": "ok"})
    assert await cache.get("k") == {"status": "ok"}
    assert cache.info()["persistent"] is False
    assert "caching in memory only" in capsys.readouterr().err
    await cache.close()


def test_default_path_honours_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LRQUIZ_RUNNER_CACHE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_cache_path() == tmp_path / "lrquiz" / "runner-cache.db"
    monkeypatch.setenv("LRQUIZ_RUNNER_CACHE", str(tmp_path / "x.db"))
    assert default_cache_path() == tmp_path / "x.db"
    monkeypatch.setenv("LRQUIZ_RUNNER_CACHE", ":memory:")
    assert ResultCache(default_cache_path()).path is None


def _output(markers: dict[str, str]) -> JobOutput:
    output = JobOutput(CellPipes(0, 1, -1, -1, -1, -1), Limits(), lambda: None)
    output.out += b"42\n"
    output.markers.update(markers)
    return output


def test_only_clean_results_the_snippet_decided_are_cacheable() -> None:
    clean = {"exit_code": 0, "cpu": 0.01, "killed": "", "oom": False, "clean": True}
    result = assemble_result(clean, _output({}), 5.0, 0.02)
    assert (result["status"], result["stdout"], cacheable(result)) == ("ok", "42\n", True)
    unclean = assemble_result({**clean, "clean": False}, _output({}), 5.0, 0.02)
    assert unclean["status"] == "ok" and not cacheable(unclean)
    setup = assemble_result({**clean, "exit_code": 71}, _output({"setup": "1"}), 5.0, 0.02)
    assert setup["status"] == "error" and not cacheable(setup)
    timeout = assemble_result({**clean, "killed": "timeout"}, _output({}), 5.0, 5.0)
    assert timeout["status"] == "timeout" and not cacheable(timeout)
    memory = assemble_result({**clean, "exit_code": 1, "oom": True}, _output({}), 5.0, 0.1)
    assert memory["status"] == "memory" and not cacheable(memory)
    killed = assemble_result({**clean, "exit_code": -9}, _output({}), 5.0, 0.1)
    assert killed["status"] == "error" and not cacheable(killed)  # not by us: not its doing


def _result(n: int, size: int) -> dict[str, object]:
    return {"status": "ok", "stdout": f"{n}:" + "x" * size}


async def test_memory_is_bounded_in_bytes_least_recently_used_first() -> None:
    cache = ResultCache(None, memory_bytes=10_000)
    for n in range(30):
        cache.put(f"k{n}", _result(n, 1000))
        if n == 5:
            assert await cache.get("k0") is not None  # k0 is now recently used
    assert cache.info()["memory_bytes"] <= 10_000
    assert await cache.get("k29") == _result(29, 1000)
    assert await cache.get("k1") is None  # evicted
    cache.put("huge", _result(0, 20_000))  # larger than the whole bound: not kept
    assert await cache.get("huge") is None
    await cache.close()


async def test_disk_is_bounded_in_bytes_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    cache = ResultCache(path, memory_bytes=1, disk_bytes=50_000)
    await cache.open()
    for n in range(200):
        cache.put(f"k{n}", _result(n, 1000))
        await asyncio.gather(*cache.pending)
    assert 0 < cache.info()["disk_bytes"] <= 50_000
    assert await cache.get("k199") == _result(199, 1000)
    assert await cache.get("k0") is None
    await cache.close()
    size_at_bound = path.stat().st_size
    reopened = ResultCache(path, memory_bytes=1, disk_bytes=20_000)  # a smaller bound
    await reopened.open()
    assert reopened.info()["disk_bytes"] <= 20_000
    assert await reopened.get("k199") == _result(199, 1000)
    for n in range(200, 400):
        reopened.put(f"k{n}", _result(n, 1000))
        await asyncio.gather(*reopened.pending)
    await reopened.close()
    assert path.stat().st_size <= size_at_bound * 1.5  # freed pages are reused


async def test_an_older_cache_without_sizes_is_upgraded(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE results (key TEXT PRIMARY KEY, result TEXT NOT NULL,"
            " created REAL NOT NULL)"
        )
        db.execute("INSERT INTO results VALUES ('k', '{\"status\": \"ok\"}', 1.0)")
    cache = ResultCache(path)
    await cache.open()
    assert await cache.get("k") == {"status": "ok"}
    assert cache.info()["disk_bytes"] == len('{"status": "ok"}')
    await cache.close()
