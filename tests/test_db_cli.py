"""`lrquiz db copy` between SQLite and PostgreSQL, and `lrquiz db backup` under writes."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine.clock import FakeClock
from bot.service import GameService
from storage.factory import open_database
from tests.factories import make_pack
from tests.storage.support import T0, query, ref, scalar

REPO = Path(__file__).resolve().parents[1]
TABLES = ("users", "sessions", "questions", "attempts", "scores", "leaderboard_totals")


async def _play(where: Path | str, names: list[str]) -> list[tuple]:
    """Runs with wrong and right answers and a hint; returns the all-time board."""
    db = await open_database(where)
    service = GameService(db, [make_pack()], FakeClock(T0))
    try:
        for n, name in enumerate(names):
            player = await service.player_id(ref(name))
            run = await service.start(player, "challenge", seed=n)
            service.clock.advance(1)
            await service.hint(run.id, player)
            for letter in ("A", "C") if n % 2 else ("B",):
                service.clock.advance(1)
                await service.answer(run.id, player, letter)
        board = await service.leaderboard("terminal", "local")
    finally:
        await db.close()
    return [(r.name, r.points, r.correct, r.answered) for r in board.rows]


def _counts(where: Path | str) -> dict[str, int]:
    return {table: scalar(where, f"SELECT COUNT(*) FROM {table}") for table in TABLES}


def test_copy_sqlite_to_postgresql_and_back_keeps_every_row(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "community.db"
    board = asyncio.run(_play(source, ["ann", "bob", "cy"]))
    assert main(["db", "copy", str(source), pg_url]) == 0
    assert "checksums match" in capsys.readouterr().out
    assert _counts(pg_url) == _counts(source)
    # The copy plays on: new ids continue after the copied ones, the board carries over,
    # and the attempt-limit trigger is back on.
    assert asyncio.run(_play(pg_url, [])) == board
    after = asyncio.run(_play(pg_url, ["dee"]))
    assert {row[0] for row in after} == {"ann", "bob", "cy", "dee"}
    assert scalar(pg_url, "SELECT MAX(id) FROM users") == 4
    (session,) = query(pg_url, "SELECT session_id FROM attempts WHERE attempt_no = 2 LIMIT 1")[0]
    with pytest.raises(sqlite3.IntegrityError, match="lrquiz"):
        query(
            pg_url,
            "INSERT INTO attempts(session_id, idx, attempt_no, choice, correct, answered_at) "
            "VALUES (?, 0, 3, 'D', 0, 0)",
            (session,),
        )

    back = tmp_path / "back.db"
    assert main(["db", "copy", pg_url, str(back)]) == 0
    assert _counts(back) == _counts(pg_url)
    assert asyncio.run(_play(back, [])) == after
    assert query(back, "PRAGMA integrity_check") == [("ok",)]


def test_copy_refuses_a_destination_with_data_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    asyncio.run(_play(first, ["ann"]))
    asyncio.run(_play(second, ["bob", "cy"]))
    assert main(["db", "copy", str(first), str(second)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "--replace" in error and str(second) in error
    assert _counts(second)["users"] == 2
    assert main(["db", "copy", str(first), str(second), "--replace"]) == 0
    assert query(second, "SELECT display_name FROM users") == [("ann",)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["db", "copy", "missing.db", "out.db"], "no such database file"),
        (["db", "copy", "same.db", "same.db"], "same database"),
        (["db", "backup", "--db", "postgresql://u@/x", "out.db"], "pg_dump"),
        (["db", "backup", "--db", "missing.db", "out.db"], "no such database file"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if "same.db" in args:
        asyncio.run(_play(tmp_path / "same.db", []))
    assert main(args) == 1
    error = capsys.readouterr().err
    assert error.startswith("lrquiz: error: ") and error.count("\n") == 1 and says in error


WRITER = """
import asyncio, sys
from bot.engine.clock import FakeClock
from bot.service import GameService
from storage.factory import open_database
from storage.users import PlayerRef
from tests.factories import make_pack

async def main(path):
    db = await open_database(path)
    service = GameService(db, [make_pack()], FakeClock(1_780_000_000.0))
    n = 0
    print("writing", flush=True)
    while True:
        player = await service.player_id(PlayerRef("terminal", "local", f"w{n}", f"w{n}"))
        run = await service.start(player, "challenge", seed=n)
        await asyncio.gather(*(service.answer(run.id, player, l) for l in "ACB"),
                             return_exceptions=True)
        n += 1

asyncio.run(main(sys.argv[1]))
"""


def test_backup_while_another_process_writes_is_consistent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "live.db"
    asyncio.run(_play(live, ["ann"]))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writer = subprocess.Popen(
        [sys.executable, str(script), str(live)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        sizes = []
        for n in range(4):
            time.sleep(0.3)
            dest = tmp_path / f"backup-{n}.db"
            assert main(["db", "backup", "--db", str(live), str(dest)]) == 0
            assert "integrity ok" in capsys.readouterr().out
            assert query(dest, "PRAGMA integrity_check") == [("ok",)]
            # One snapshot: every closed question has its one score, every run its player.
            closed = scalar(dest, "SELECT COUNT(*) FROM questions WHERE outcome IS NOT NULL")
            assert scalar(dest, "SELECT COUNT(*) FROM scores") == closed
            assert (
                scalar(
                    dest,
                    "SELECT COUNT(*) FROM sessions WHERE user_id NOT IN (SELECT id FROM users)",
                )
                == 0
            )
            sizes.append(scalar(dest, "SELECT COUNT(*) FROM users"))
        assert writer.poll() is None, "the writer must still be running"
    finally:
        writer.kill()
        writer.wait()
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0]  # the writes went on meanwhile
    assert ("ann", 10, 1, 1) in asyncio.run(_play(tmp_path / "backup-3.db", []))  # it opens
    assert main(["db", "backup", "--db", str(live), str(tmp_path / "backup-3.db")]) == 1
    assert "already exists" in capsys.readouterr().err


def test_play_then_stats_and_leaderboard_on_postgresql(pg_url: str) -> None:
    """`--db postgresql://...` through the console script: played, then read back."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "LRQUIZ_DB": pg_url}

    def lrquiz(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "bot.cli", *args]
        return subprocess.run(
            command, input=stdin, capture_output=True, text=True, env=env, cwd=REPO, timeout=120
        )

    played = lrquiz("play", "--user", "ann", "--mode", "test", "--runner", "off", stdin="A\nq\n")
    assert played.returncode == 0, played.stderr
    stats = lrquiz("stats", "--user", "ann")
    assert stats.returncode == 0, stats.stderr
    assert re.search(r"ann: \d+ points, [01]/1 correct", stats.stdout), stats.stdout
    board = lrquiz("leaderboard", "--json")
    assert board.returncode == 0, board.stderr
    assert '"ann"' in board.stdout
