"""Every query a player's action runs is an index search, read from the engines' own plans.

A scripted community session (runs started, answered, hinted, expired by the deadline
watcher; leaderboards, stats, streaks, a daily challenge, a live question, redelivered
platform actions, a schedule firing, dashboard pages) drives the real service on a real
SQLite file while the connection records every statement with its parameters. Each one
is then run through `EXPLAIN QUERY PLAN` with the same parameters; a full `SCAN` of a table
that grows with use fails the test, so a new unindexed query fails it too. The same
statements, in PostgreSQL's dialect, are planned by PostgreSQL on the same schema.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.dailies import DailyChallenges
from bot.deadlines import DeadlineWatcher
from bot.engine import game
from bot.engine.clock import FakeClock
from bot.scheduler import Scheduler, Schedules
from bot.service import Delivery, GameService, Step
from bot.web.data import DashboardData
from problems.model import Badge, Pack
from storage.database import Database
from storage.refs import MessageRef
from storage.settings import WorkspaceSettings
from storage.users import PlayerRef
from tests.factories import KIND_CYCLE, make_problem
from tests.recording import Statement, record

# Tables whose size does not grow with play, each with why a full scan of it is fine.
SMALL_TABLES = {
    "lrquiz_meta": "a handful of keys (the schema version)",
    "unfolded_scores": (
        "scores wait here only until the next fold: at the end of their own write "
        "transaction on SQLite, right after it on PostgreSQL"
    ),
    "item_evidence": (
        "answers' difficulty moves wait here only until the next fold, like unfolded_scores"
    ),
    "schedules": (
        "a few per workspace, and the scheduler's tick reads every schedule of its platform "
        "anyway (nearly the whole table), so an index would not save a row"
    ),
}
# Partial indexes over rows that leave them when done, so their size follows current
# activity, not history: walking one is bounded.
BOUNDED_INDEXES = {
    "questions_open_deadline": "open timed questions (closed on answer or expiry)",
    "live_open_deadline": "live questions still open (each closes at its deadline)",
    "dailies_open": "today's open daily cards (closed at local midnight)",
    "platform_actions_pending": "actions whose outcome is not stored yet",
}
# Statements outside the per-request path, with why they may scan.
NOT_PER_REQUEST = {
    "SELECT q.session_id, q.problem_id, a.choice": (
        "the dashboard's item analysis (storage/item_stats.py) reads every first try of a "
        "pack in the workspace by design, like `lrquiz problems stats`"
    ),
}
LEVELS = ("intermediate", "advanced", "expert")


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def pack() -> Pack:
    problems = tuple(make_problem(i, "medium", KIND_CYCLE[i % 5], LEVELS[i % 3]) for i in range(12))
    return Pack(
        "plan-pack", "Plan pack", "Summary.", problems, (Badge("m", "M", "m", "challenge-perfect"),)
    )


def player(name: str) -> PlayerRef:
    return PlayerRef("discord", "g1", f"id-{name}", name)


def shown(step: Step[Any]) -> dict[str, Any]:
    after = step.after
    return {"session_id": getattr(after, "id", None)}


async def community_session(service: GameService, clock: FakeClock) -> None:
    """One of everything a community's members and admins do, in a plausible order."""
    the_pack = service.pack()
    ann, bob = player("ann"), player("bob")
    ann_id, bob_id = await service.player_id(ann), await service.player_id(bob)
    reply = MessageRef("c1", "m1")

    # Runs through delivered platform actions, one redelivered (the replay lookup).
    started = await service.start_for(Delivery(ann, "start-1", reply), "challenge", shown)
    run = started.after
    answer = Delivery(ann, "answer-1", reply)

    def right(state, player_id, now):
        return game.answer(
            state, the_pack, player_id, the_pack.problem(state.current.problem_id).answer, now
        )

    await service.step_run(answer, "answer", run.id, right, shown)
    await service.step_run(answer, "answer", run.id, right, shown)  # redelivered
    await service.advance(run.id, ann_id)
    await service.hint(run.id, ann_id)
    practice = await service.start(bob_id, "practice")
    await service.answer(practice.id, bob_id, "A")
    timed = await service.start(bob_id, "challenge")
    await service.session(timed.id)

    # The deadline watcher: next deadline, then everything due closes.
    async def ignore(_item: object) -> None:
        pass

    watcher = DeadlineWatcher(service, ignore, ignore, platform="discord", on_daily_closed=ignore)
    await service.next_deadline("discord")
    await service.next_deadline()
    clock.advance(3600)
    await watcher.sweep()

    # Boards and records.
    for period in ("day", "week", "month", "all"):
        await service.leaderboard("discord", "g1", period, me=bob_id, limit=1)
    await service.stats(ann_id)
    await service.badges(ann_id)
    await service.find_player("discord", "g1", "id-ann")
    await service.player(ann_id)

    # A daily challenge, played to the end, its streak read, then closed by the watcher.
    dailies = DailyChallenges(service)
    posting = await dailies.post("discord", "g1", "c1", "UTC")
    daily_run = await dailies.start(posting.daily.id, ann_id)
    for index in range(daily_run.total):
        if index:
            await service.advance(daily_run.id, ann_id)
        problem = the_pack.problem(daily_run.problem_ids[index])
        daily_run, _ = await service.answer(daily_run.id, ann_id, problem.answer)
    await dailies.streak(ann_id, "discord", "g1", "UTC")
    await dailies.summary(posting.daily.id)
    await dailies.next_end("discord")
    clock.set(posting.daily.ends_at + 1)
    await watcher.sweep()

    # A live question.
    question = await service.post_live("discord", "g1", ann_id)
    await service.hint_live(question.id, bob_id)
    await service.answer_live(question.id, bob_id, the_pack.problem(question.problem_id).answer)
    await service.live(question.id)
    clock.advance(3600)
    await watcher.sweep()

    # Actions with effects outside the database, messages, settings, housekeeping.
    post = Delivery(ann, "post-1")
    await service.begin_action(post, "post", {"channel": "c1"})
    await service.begin_action(post, "post", {"channel": "c1"})
    await service.finish_action(post, "post", {"posted": True})
    await service.remember_message("discord", "board", "g1", reply)
    await service.message_ref("discord", "board", "g1")
    if await service.claim_message("discord", "card", "g1"):
        await service.release_message("discord", "card", "g1")
    await service.update_settings("discord", "g1", WorkspaceSettings(True, "c1"))
    await service.settings("discord", "g1")
    await service.forget_old_actions()

    # A schedule fires once, however often the scheduler ticks.
    schedules = Schedules(service, "discord")
    added = await schedules.add("g1", "c1", "09:30", "UTC")
    await schedules.list("g1")

    async def fire(_schedule: object, _occurrence: object) -> None:
        pass

    scheduler = Scheduler(service, "discord", fire)
    clock.set(utc(2026, 6, 1, 9, 30, 5))
    await scheduler.tick()
    await scheduler.tick()
    await schedules.pause("g1", added.id)

    # The dashboard's pages.
    dashboard = DashboardData(service.db, [the_pack], clock)
    learner = await dashboard.learner("discord", "g1", "id-ann")
    assert learner is not None
    await dashboard.learner_by_id("discord", "g1", learner.id)
    await dashboard.has_answered("discord", "g1", "id-ann", the_pack.id, the_pack.problems[0].id)
    await dashboard.leaderboard("discord", "g1", "all", bob_id)
    await dashboard.profile("discord", "g1", learner)
    await dashboard.schedules("discord", "g1")
    await dashboard.item_analysis("discord", "g1")


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[Path, list[Statement]]]:
    seen: list[Statement] = []
    path = tmp_path / "quiz.db"

    async def main() -> None:
        clock = FakeClock(utc(2026, 6, 1, 8, 0))
        db = await Database.open(path)
        record(db, seen)
        try:
            await community_session(GameService(db, [pack()], clock), clock)
        finally:
            await db.close()

    asyncio.run(main())
    yield path, seen


def full_scans(conn: sqlite3.Connection, sql: str, params: Any, tables: set[str]) -> list[str]:
    """The growing tables `sql` would read from end to end, by its plan with `params`."""
    aliases = {
        alias.lower(): table.lower()
        for table, alias in re.findall(
            r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+AS)?\s+(?!ON\b|WHERE\b|JOIN\b|NOT\b|USING\b)(\w+)",
            sql,
            flags=re.IGNORECASE,
        )
    }
    scanned = []
    for *_, detail in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params):
        hit = re.match(r"(SCAN|SEARCH) (\w+)(.*)", detail)
        if not hit or (hit.group(1) == "SEARCH" and "(" in hit.group(3)):
            continue  # a search with a constraint: an index range or a key probe
        name, rest = hit.group(2).lower(), hit.group(3)
        table = name if name in tables else aliases.get(name)
        if table not in tables or table in SMALL_TABLES:
            continue
        if any(f"INDEX {index}" in rest for index in BOUNDED_INDEXES):
            continue
        # A bare "SEARCH t" is SQLite's MIN()/MAX() plan: one seek at an end of the table
        # (MAX(id)) or, with no usable index, a walk over all of it. Only the walk loops.
        if hit.group(1) == "SEARCH" and not _loops_over(conn, sql, params, table):
            continue
        scanned.append(f"{detail} (table {table})")
    return scanned


def _loops_over(conn: sqlite3.Connection, sql: str, params: Any, table: str) -> bool:
    """Does the statement's bytecode step a cursor on `table` (or its index) row by row?

    A seek-once MIN()/MAX() jumps out (Goto) right before its Next/Prev; a walk does not.
    """
    roots = {
        root
        for (root,) in conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE", (table,)
        )
    }
    program = conn.execute(f"EXPLAIN {sql}", params).fetchall()
    cursors = {p1 for _, op, p1, p2, *_ in program if op == "OpenRead" and p2 in roots}
    return any(
        op in ("Next", "Prev") and p1 in cursors and program[i - 1][1] != "Goto"
        for i, (_, op, p1, *_) in enumerate(program)
    )


PLANNED = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def planned(seen: list[Statement]) -> dict[str, Any]:
    """Each distinct per-request statement the session ran, with one set of its values."""
    return {
        sql: params[0] if method == "executemany" else params
        for method, sql, params in seen
        if PLANNED.match(sql)
        and (method == "execute" or params)
        and not any(sql.lstrip().startswith(prefix) for prefix in NOT_PER_REQUEST)
    }


def test_every_per_request_query_searches_an_index(
    recorded: tuple[Path, list[Statement]],
) -> None:
    path, seen = recorded
    statements = planned(seen)
    conn = sqlite3.connect(path)
    try:
        tables = {
            row[0].lower()
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        problems = []
        for sql, params in statements.items():
            for scan in full_scans(conn, sql, params, tables):
                problems.append(f"{scan}:\n    {' '.join(sql.split())}")
    finally:
        conn.close()
    assert not problems, "full scans of growing tables:\n" + "\n".join(problems)
    # The session must really have exercised the paths this test guards.
    text = "\n".join(statements)
    for needed in (
        "daily_streaks",
        "platform_actions",
        "schedule_runs",
        "live_answers",
        "leaderboard_totals",
        "q.deadline",
        "hints",
        "review_cards",
    ):
        assert needed in text, f"the scripted session ran no query on {needed}"


# The deadline watcher's query before it was fixed: it read every question ever asked.
OLD_NEXT_DEADLINE = (
    "SELECT MIN(q.deadline) FROM questions q "
    "JOIN sessions s ON s.id = q.session_id JOIN users u ON u.id = s.user_id "
    "WHERE q.outcome IS NULL AND (:platform IS NULL OR u.platform = :platform)"
)


async def test_the_check_reports_full_scans_and_passes_searches(tmp_path: Path) -> None:
    """The check itself, on the real schema: unindexed filters and the old next-deadline
    query are reported, index searches are not."""
    db = await Database.open(tmp_path / "quiz.db")
    await db.close()
    conn = sqlite3.connect(tmp_path / "quiz.db")
    tables = {"scores", "questions", "sessions", "users"}
    try:
        assert full_scans(conn, "SELECT SUM(points) FROM scores s WHERE s.points > ?", (3,), tables)
        assert full_scans(conn, OLD_NEXT_DEADLINE, {"platform": "discord"}, tables) == [
            "SEARCH q (table questions)"
        ]
        assert full_scans(conn, "SELECT MIN(points) FROM scores", (), tables)
        assert not full_scans(conn, "SELECT MAX(id) FROM scores", (), tables)
        assert not full_scans(
            conn, "SELECT SUM(points) FROM scores WHERE user_id = ?", (3,), tables
        )
    finally:
        conn.close()


INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")
# A PostgreSQL index's table and leading column, from its definition.
INDEX_DEF = re.compile(r" ON (?:\w+\.)?(\w+) USING \w+ \((\w+)")


def pg_indexes(conn: Any) -> dict[str, tuple[str, str]]:
    """Every index of the schema: (its table, its leading column)."""
    found = {}
    for name, definition in conn.raw.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    ):
        table, leading = INDEX_DEF.search(definition).groups()
        found[name] = (table.lower(), leading.lower())
    return found


def pg_full_walks(
    plan: dict[str, Any],
    tables: set[str],
    indexes: dict[str, tuple[str, str]],
    under_limit: bool = False,
) -> list[str]:
    """The growing tables a PostgreSQL plan reads end to end: a Seq Scan, or an index
    walked whole. A btree is only entered by its leading column, so an Index Cond that
    does not name it (PostgreSQL filters such an index page by page) is a walk too, as is
    no condition at all, unless a Limit right above stops it at once (MIN()/MAX())."""
    found = []
    node = plan.get("Node Type")
    table = plan.get("Relation Name", "").lower()
    if node == "Seq Scan" and table in tables and table not in SMALL_TABLES:
        found.append(f"Seq Scan on {table}")
    elif node in INDEX_NODES and plan.get("Index Name") not in BOUNDED_INDEXES:
        index = plan.get("Index Name", "")
        table, leading = indexes.get(index, (table, ""))
        condition = plan.get("Index Cond", "")
        entered = re.search(rf"\b{leading}\b", condition) if leading else condition
        if table in tables and table not in SMALL_TABLES and not entered and not under_limit:
            found.append(f"{node} walks all of {index} ({condition or 'no condition'})")
    for child in plan.get("Plans", ()):
        found.extend(pg_full_walks(child, tables, indexes, node == "Limit"))
    return found


def test_every_per_request_query_searches_an_index_on_postgresql(
    recorded: tuple[Path, list[Statement]], pg_url: str
) -> None:
    """The same statements, in PostgreSQL's dialect, on the same schema migrated there.

    With sequential scans priced out (`enable_seqscan = off`) the planner takes any index
    that can answer, even on near-empty tables; a Seq Scan that remains means none can.
    """
    from storage.factory import open_database
    from storage.pg_connection import PgConnection

    async def migrate() -> None:
        await (await open_database(pg_url)).close()

    asyncio.run(migrate())
    _, seen = recorded
    conn = PgConnection.connect(pg_url)
    try:
        conn.execute("SET enable_seqscan = off")
        tables = {
            row[0].lower()
            for row in conn.raw.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            )
        }
        assert "scores" in tables and "questions" in tables
        # The check itself: an unindexed filter is reported, an index search is not.
        unindexed = "SELECT SUM(points) FROM scores s WHERE s.points > ?"
        indexes = pg_indexes(conn)
        assert pg_full_walks(conn.explain(unindexed, (3,)), tables, indexes)
        indexed = "SELECT SUM(points) FROM scores WHERE user_id = ?"
        assert pg_full_walks(conn.explain(indexed, (3,)), tables, indexes) == []
        statements = planned(seen)
        assert len(statements) > 50, "the scripted session ran too few statements to judge"
        problems = []
        for sql, params in statements.items():
            for scan in pg_full_walks(conn.explain(sql, params), tables, indexes):
                problems.append(f"{scan}:\n    {' '.join(sql.split())}")
    finally:
        conn.close()
    assert not problems, "sequential scans of growing tables:\n" + "\n".join(problems)
