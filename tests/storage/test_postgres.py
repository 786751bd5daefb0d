"""What only the PostgreSQL engine has to prove: the one migration list and the one copy of
the SQL mean the same there as on SQLite, and bad URLs or schemas are refused in one line."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from storage import migrations
from storage.errors import SchemaTooNew, StorageError
from storage.factory import open_database
from storage.migrations import LATEST_VERSION, MIGRATIONS, Migration
from storage.pg_dialect import DialectError, translate
from storage.users import ensure_user

from .support import connect, query, ref, scalar

NEXT = LATEST_VERSION + 1


def _catalog(where: Path | str) -> set[tuple[str, str]]:
    return set(query(where, "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


async def test_the_migration_list_builds_the_same_tables_indexes_and_triggers(
    pg_url: str, tmp_path: Path
) -> None:
    for where in (pg_url, tmp_path / "quiz.db"):
        await (await open_database(where)).close()
    sqlite_side = _catalog(tmp_path / "quiz.db")
    assert {kind for kind, _ in sqlite_side} == {"table", "index", "trigger"}
    # SQLite lists the automatic indexes of UNIQUE / PRIMARY KEY constraints too.
    assert {o for o in sqlite_side if not o[1].startswith("sqlite_")} <= _catalog(pg_url)
    assert scalar(pg_url, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'") == str(
        LATEST_VERSION
    )


async def test_a_new_migration_with_a_partial_index_appears_on_postgresql(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await open_database(pg_url)
    await db.transact(lambda c: ensure_user(c, ref("ann"), 1.0))
    await db.close()
    added = Migration(
        NEXT,
        "a time zone per player; an index of ranked scores",
        "ALTER TABLE users ADD COLUMN timezone TEXT;\n"
        "ALTER TABLE users ADD COLUMN offset_s REAL;\n"
        "CREATE INDEX scores_ranked_time ON scores(user_id, scored_at DESC) WHERE ranked = 1;\n",
    )
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, added))
    monkeypatch.setattr(migrations, "LATEST_VERSION", NEXT)
    await (await open_database(pg_url)).close()
    assert query(pg_url, "SELECT display_name, timezone, offset_s FROM users") == [
        ("ann", None, None)
    ]
    definition = scalar(
        pg_url, "SELECT indexdef FROM pg_indexes WHERE indexname = 'scores_ranked_time'"
    )
    assert "WHERE (ranked = 1)" in definition and "scored_at DESC" in definition
    # REAL became an 8-byte float: a Unix time keeps its fraction.
    query(pg_url, "UPDATE users SET offset_s = ?", (1_780_000_000.25,))
    assert scalar(pg_url, "SELECT offset_s FROM users") == 1_780_000_000.25


async def test_a_failing_migration_rolls_back_whole_on_postgresql(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await open_database(pg_url)).close()
    broken = Migration(NEXT, "a typo", "ALTER TABLE users ADD COLUMN ok TEXT;\nCREATE TABLE (;\n")
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(migrations, "LATEST_VERSION", NEXT)
    with pytest.raises((StorageError, sqlite3.Error)):
        await open_database(pg_url)
    columns = query(
        pg_url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'users'"
    )
    assert ("ok",) not in columns
    assert scalar(pg_url, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'") == str(
        LATEST_VERSION
    )


async def test_a_newer_schema_is_refused_and_left_alone(pg_url: str) -> None:
    query(pg_url, "CREATE TABLE lrquiz_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    query(pg_url, "INSERT INTO lrquiz_meta VALUES ('schema_version', '999')")
    with pytest.raises(SchemaTooNew) as caught:
        await open_database(pg_url)
    message = str(caught.value)
    assert "999" in message and "postgresql://" in message and "\n" not in message
    assert _catalog(pg_url) == {("table", "lrquiz_meta")}


async def test_a_database_of_another_app_is_refused(pg_url: str) -> None:
    query(pg_url, "CREATE TABLE users (login TEXT PRIMARY KEY, password_hash TEXT)")
    with pytest.raises(StorageError, match="'users'"):
        await open_database(pg_url)
    assert _catalog(pg_url) == {("table", "users")}


async def test_an_unreachable_server_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://quiz:s3cret@/lrquiz?host={tmp_path}&port=1"
    with pytest.raises(StorageError) as caught:
        await open_database(url)
    message = str(caught.value)
    assert "cannot connect to PostgreSQL" in message and "\n" not in message
    assert "s3cret" not in message and "quiz:***@" in message


async def test_a_read_only_open_refuses_writes_as_read_only(pg_url: str) -> None:
    await (await open_database(pg_url)).close()
    db = await open_database(pg_url, read_only=True)
    try:
        with pytest.raises(StorageError, match="read-only"):
            await db.transact(lambda c: ensure_user(c, ref("ann"), 1.0))
    finally:
        await db.close()


async def test_date_rules_give_sqlites_days_weeks_and_months(pg_url: str) -> None:
    """The leaderboard's periods come from date(); both engines must bucket alike."""
    rng = random.Random(7)
    moments = [1_780_000_000 + rng.uniform(-4e7, 4e7) for _ in range(300)]
    moments += [1_779_580_800 + k * 86_400 + edge for k in range(8) for edge in (-0.5, 0, 0.5)]
    sql = (
        "SELECT date(?, 'unixepoch'), date(?, 'unixepoch', 'weekday 0', '-6 days'), "
        "date(?, 'unixepoch', 'start of month'), strftime('%Y-%m-%d %H', ?, 'unixepoch')"
    )
    lite = sqlite3.connect(":memory:")
    pg = connect(pg_url)
    try:
        for at in moments:
            args = (at, at, at, at)
            assert pg.execute(sql, args).fetchone() == lite.execute(sql, args).fetchone(), at
    finally:
        pg.close()
        lite.close()


def test_sqlite_only_constructs_fail_loudly() -> None:
    for sql in (
        "SELECT julianday('now')",
        "INSERT OR REPLACE INTO users(id) VALUES (1)",
        "SELECT date(x, 'unixepoch', '+1 month') FROM t",
        "SELECT strftime('%W', x, 'unixepoch') FROM t",
        "SELECT 1 WHERE a = ? AND b = :b",
    ):
        with pytest.raises(DialectError):
            translate(sql)


async def test_the_dashboards_unfolded_board_and_activity_match_sqlite(
    pg_url: str, tmp_path: Path
) -> None:
    """The dashboard reads unfolded scores itself (CROSS JOIN, json_each, date())."""
    from bot.engine.clock import FakeClock
    from bot.service import GameService
    from storage.dashboard import current_leaderboard, daily_activity
    from tests.factories import make_pack

    from .support import T0

    seen = []
    for where in (tmp_path / "quiz.db", pg_url):
        db = await open_database(where)
        service = GameService(db, [make_pack()], FakeClock(T0))
        for n, name in enumerate(["ann", "bob", "cy", "dee"]):
            player = await service.player_id(ref(name))
            service.clock.advance(3600 * 9)  # the runs fall on different UTC days
            run = await service.start(player, "challenge", seed=n)
            for letter in "B" if n % 2 else "AB":
                service.clock.advance(1)
                await service.answer(run.id, player, letter)
        await db.close()
        # Totals as a database that has not folded yet: the totals and the players per
        # points that are kept with them (storage/leaderboard.py), both empty.
        query(where, "DELETE FROM leaderboard_totals")
        query(where, "DELETE FROM leaderboard_points")
        query(where, "INSERT INTO unfolded_scores(score_id) SELECT id FROM scores")
        db = await open_database(where, read_only=True)
        try:
            board = await db.run(
                lambda c: current_leaderboard(c, "terminal", "local", "all", "", 2, me=1)
            )
            activity = await db.run(lambda c: daily_activity(c, 1))
        finally:
            await db.close()
        seen.append((board, activity))
    assert seen[0] == seen[1]
    rows, own = seen[0][0]
    assert len(rows) == 2 and own is not None and own.rank == 3  # ahead of cy on the tie
