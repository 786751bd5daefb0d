"""Races against one real database (SQLite file or PostgreSQL): two connections, several
processes, and the DB trigger."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from bot.engine import game
from bot.engine.clock import FakeClock
from bot.engine.errors import AlreadyTried, QuestionClosed
from bot.engine.ratings import Rating, move_item, seed_difficulty
from bot.service import GameService
from storage.errors import AttemptRejected
from storage.ratings import item_rating
from storage.sessions import save_session

from .support import T0, Services, query, ref, scalar

pytestmark = pytest.mark.both_engines
REPO = Path(__file__).resolve().parents[2]


def _check_question_rows(path: Path, session_id: str, max_attempts: int) -> None:
    attempts = query(
        path, "SELECT idx, COUNT(*) FROM attempts WHERE session_id = ? GROUP BY idx", (session_id,)
    )
    assert all(count <= max_attempts for _, count in attempts)
    scores = query(
        path, "SELECT idx, COUNT(*) FROM scores WHERE session_id = ? GROUP BY idx", (session_id,)
    )
    assert all(count == 1 for _, count in scores)
    closed = scalar(
        path,
        "SELECT COUNT(*) FROM questions WHERE session_id = ? AND outcome IS NOT NULL",
        (session_id,),
    )
    assert len(scores) == closed
    stored = scalar(
        path, "SELECT COALESCE(SUM(points), 0) FROM scores WHERE session_id = ?", (session_id,)
    )
    on_questions = scalar(
        path, "SELECT COALESCE(SUM(points), 0) FROM questions WHERE session_id = ?", (session_id,)
    )
    assert stored == on_questions


@pytest.mark.parametrize(
    "letters",
    [["A", "C", "D"], ["B"], ["A", "B", "C", "D"]],
    ids=["all-wrong", "all-right", "mixed"],
)
async def test_concurrent_clicks_from_two_connections(
    db_path: Path, services: Services, clock: FakeClock, letters: list[str]
) -> None:
    first = await services.open(db_path)
    second = await services.open(db_path)
    player = await first.player_id(ref("ada"))
    assert await second.player_id(ref("ada")) == player
    run = await first.start(player, "challenge", seed=1)
    clock.advance(1)
    calls = [
        (first if n % 2 else second).answer(run.id, player, letters[n % len(letters)])
        for n in range(40)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    accepted = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, QuestionClosed) and r.reason == "closed" for r in refused), refused
    assert 1 <= len(accepted) <= 2
    assert sum(1 for _, result in accepted if result.closed) == 1
    assert sum(1 for _, result in accepted if result.correct) <= 1

    stored = await first.session(run.id)
    question = stored.questions[0]
    assert not question.is_open
    assert list(question.attempts) == [result.letter for _, result in accepted]
    assert len(question.attempts) <= question.max_attempts == 2
    _check_question_rows(db_path, run.id, 2)
    assert scalar(db_path, "SELECT COALESCE(SUM(points), 0) FROM scores") == stored.points
    if "B" in letters and letters[0] == "B":
        assert stored.points == 20


async def test_concurrent_hints_and_answers(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    first = await services.open(db_path)
    second = await services.open(db_path)
    player = await first.player_id(ref("ada"))
    run = await first.start(player, "challenge", seed=1)
    clock.advance(1)
    calls = []
    for n in range(30):
        service = first if n % 2 else second
        calls.append(service.hint(run.id, player) if n % 3 else service.answer(run.id, player, "A"))
    results = await asyncio.gather(*calls, return_exceptions=True)
    refusals = (QuestionClosed, AlreadyTried)  # "A" again is a double click, not an attempt
    assert all(isinstance(r, refusals) for r in results if isinstance(r, BaseException))
    assert scalar(db_path, "SELECT COUNT(*) FROM hints WHERE session_id = ?", (run.id,)) <= 1
    _check_question_rows(db_path, run.id, 2)


async def test_many_players_in_parallel_keep_scores_consistent(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    first = await services.open(db_path)
    second = await services.open(db_path)
    players = [await first.player_id(ref(f"p{n}")) for n in range(6)]
    runs = [
        await (first, second)[n % 2].start(p, "challenge", seed=n) for n, p in enumerate(players)
    ]
    clock.advance(1)

    async def hammer(n: int) -> None:
        service = (first, second)[n % 2]
        for _ in range(3):
            await asyncio.gather(
                *(service.answer(runs[n].id, players[n], letter) for letter in "ABAB"),
                return_exceptions=True,
            )

    await asyncio.gather(*(hammer(n) for n in range(6)))
    board = await first.leaderboard("terminal", "local")
    total = 0
    for run in runs:
        stored = await second.session(run.id)
        _check_question_rows(db_path, run.id, 2)
        total += stored.points
    assert sum(row.points for row in board.rows) == total
    assert scalar(db_path, "SELECT SUM(points) FROM scores") == total


WORKER = """
import asyncio, json, sys
from bot.engine.clock import FakeClock
from bot.engine.errors import QuestionClosed
from bot.service import GameService
from storage.factory import open_database
from tests.factories import make_pack

async def main(path, session_id, player, now, letters):
    db = await open_database(path)
    service = GameService(db, [make_pack()], FakeClock(now))
    results = await asyncio.gather(
        *(service.answer(session_id, player, letter) for letter in letters * 10),
        return_exceptions=True)
    await db.close()
    kinds = {}
    for r in results:
        key = ("closed" if isinstance(r, QuestionClosed) else
               type(r).__name__ if isinstance(r, BaseException) else "accepted")
        kinds[key] = kinds.get(key, 0) + 1
    print(json.dumps(kinds))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]))
"""


async def _python(script: Path, *args: str) -> str:
    """Run `script` in another OS process on this checkout; its stdout (it must succeed)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(script),
        *args,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    return out.decode()


@pytest.mark.parametrize("processes", [2, 4])
async def test_several_processes_hammering_the_same_question(
    db_path: Path, tmp_path: Path, services: Services, clock: FakeClock, processes: int
) -> None:
    service = await services.open(db_path)
    player = await service.player_id(ref("ada"))
    run = await service.start(player, "challenge", seed=1)
    await services.close(service)
    script = tmp_path / "worker.py"
    script.write_text(WORKER)

    async def worker(letters: str) -> dict[str, int]:
        out = await _python(script, str(db_path), run.id, str(player), str(T0 + 5), letters)
        return json.loads(out.strip().splitlines()[-1])

    # Only wrong letters, in different orders: two attempts are accepted, whoever wins.
    orders = ["ACD", "DCA", "CAD", "ADC"][:processes]
    reports = await asyncio.gather(*(worker(letters) for letters in orders))
    totals = Counter()
    for report in reports:
        totals.update(report)
    assert set(totals) <= {"accepted", "closed"}, totals
    assert totals["accepted"] == 2 and totals["closed"] == 30 * processes - 2
    _check_question_rows(db_path, run.id, 2)
    assert query(
        db_path, "SELECT outcome, points FROM questions WHERE session_id = ?", (run.id,)
    ) == [("wrong", 0)]


# The leaderboard as a count over every ranked score, to compare the running totals with.
_COUNTED = """
SELECT s.user_id, SUM(s.points), SUM(s.correct), COUNT(*) FROM scores s
WHERE s.ranked = 1 GROUP BY s.user_id ORDER BY s.user_id
"""
_KEPT = """
SELECT user_id, points, correct, answered FROM leaderboard_totals
WHERE period = 'all' ORDER BY user_id
"""
_PAIRS_KEPT = """
SELECT points, correct, players FROM leaderboard_points
WHERE period = 'all' AND players != 0 ORDER BY points, correct
"""
_PAIRS_COUNTED = """
SELECT points, correct, COUNT(*) FROM leaderboard_totals
WHERE period = 'all' GROUP BY points, correct ORDER BY points, correct
"""

MANY_PLAYERS = """
import asyncio, sys
from bot.engine.clock import FakeClock
from bot.engine.errors import QuestionClosed
from bot.service import GameService
from storage.factory import open_database
from tests.factories import make_pack
from tests.storage.support import ref

async def main(path, name, now):
    db = await open_database(path)
    service = GameService(db, [make_pack()], FakeClock(now))
    players = [await service.player_id(ref(f"{name}{n}")) for n in range(15)]
    runs = [await service.start(p, "challenge", seed=n) for n, p in enumerate(players)]
    async def play(player, run):
        for letter in "BA":  # the second only if the first was wrong
            try:
                await service.answer(run.id, player, letter)
            except QuestionClosed:
                return
    await asyncio.gather(*(play(p, r) for p, r in zip(players, runs)))
    await db.close()

asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
"""


async def test_answers_from_several_processes_reach_the_board_exactly_once(
    db_path: Path, tmp_path: Path, services: Services
) -> None:
    """Two processes answering at once: every ranked score is in the running totals once
    (PostgreSQL folds after each commit, one process at a time), ranks' players per points
    agree with the totals, and nothing is left waiting for a fold."""
    await services.close(await services.open(db_path))  # migrated before the race
    script = tmp_path / "many.py"
    script.write_text(MANY_PLAYERS)
    await asyncio.gather(
        *(_python(script, str(db_path), name, str(T0 + 5)) for name in ("ann", "bob"))
    )
    assert len(query(db_path, _COUNTED)) == 30
    assert query(db_path, _KEPT) == query(db_path, _COUNTED)
    assert query(db_path, _PAIRS_KEPT) == query(db_path, _PAIRS_COUNTED)
    assert scalar(db_path, "SELECT COUNT(*) FROM unfolded_scores") == 0


async def test_a_score_left_unfolded_by_a_dead_process_reaches_the_board(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    """A score committed but never folded (its process died in between, or wrote it
    outside lrquiz) waits in the queue, and the next lrquiz to open and write folds it."""
    service, run = await _one_question(db_path, services, clock, "A")
    await services.close(service)
    player = scalar(db_path, "SELECT user_id FROM sessions WHERE id = ?", (run.id,))
    live = "dead-process"
    query(
        db_path,
        "INSERT INTO live_questions(id, platform, workspace, pack_id, problem_id, opened_at, "
        "deadline, closed_at) VALUES (?, 'terminal', 'local', 'p', 'q', 0, 0, 0)",
        (live,),
    )
    query(
        db_path,
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, live_id) VALUES (?, 'live', 1, 'p', 'q', 7, 1, ?, ?)",
        (player, T0, live),
    )
    assert scalar(db_path, "SELECT COUNT(*) FROM unfolded_scores") == 1
    service = await services.open(db_path)
    await service.player_id(ref("someone-new"))  # any write
    board = await service.leaderboard("terminal", "local")
    assert query(db_path, _KEPT) == query(db_path, _COUNTED)
    assert [row.points for row in board.rows if row.user_id == player] == [
        scalar(db_path, "SELECT SUM(points) FROM scores WHERE user_id = ?", (player,))
    ]
    assert scalar(db_path, "SELECT COUNT(*) FROM unfolded_scores") == 0


# --- the database itself refuses what the engine would never do -------------------------


async def _one_question(db_path: Path, services: Services, clock: FakeClock, letters: str):
    service = await services.open(db_path)
    player = await service.player_id(ref("ada"))
    run = await service.start(player, "challenge", seed=1)
    for letter in letters:
        clock.advance(1)
        await service.answer(run.id, player, letter)
    return service, run


def _raw_attempt(path: Path, session_id: str, attempt_no: int, choice: str = "B") -> None:
    query(
        path,
        "INSERT INTO attempts(session_id, idx, attempt_no, choice, correct, answered_at)"
        " VALUES (?, 0, ?, ?, 0, 0)",
        (session_id, attempt_no, choice),
    )


async def test_trigger_refuses_an_attempt_beyond_the_limit(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    _, run = await _one_question(db_path, services, clock, "")
    with pytest.raises(sqlite3.IntegrityError, match="attempt limit"):
        _raw_attempt(db_path, run.id, 3)
    _raw_attempt(db_path, run.id, 1)  # within the limit on an open question: allowed
    _raw_attempt(db_path, run.id, 2)
    assert scalar(db_path, "SELECT COUNT(*) FROM attempts") == 2


async def test_trigger_refuses_a_third_attempt_after_two(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    _, run = await _one_question(db_path, services, clock, "AC")
    with pytest.raises(sqlite3.IntegrityError, match="lrquiz"):
        _raw_attempt(db_path, run.id, 3)
    assert scalar(db_path, "SELECT COUNT(*) FROM attempts") == 2


async def test_trigger_refuses_an_attempt_on_a_closed_question(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    _, run = await _one_question(db_path, services, clock, "B")  # closed on attempt 1
    with pytest.raises(sqlite3.IntegrityError, match="question is closed"):
        _raw_attempt(db_path, run.id, 2)
    assert scalar(db_path, "SELECT COUNT(*) FROM attempts") == 1


async def test_saving_from_a_stale_state_is_rejected_and_rolled_back(
    db_path: Path, services: Services, clock: FakeClock
) -> None:
    service, run = await _one_question(db_path, services, clock, "")
    pack = service.pack()
    loaded = await service.session(run.id)
    now = clock.now() + 1
    first, _ = game.answer(loaded, pack, run.player_id, "A", now)
    second, _ = game.answer(loaded, pack, run.player_id, "B", now)  # raced from the same load
    await service.db.transact(lambda c: save_session(c, loaded, first, now))
    with pytest.raises(AttemptRejected):
        await service.db.transact(lambda c: save_session(c, loaded, second, now))
    assert query(db_path, "SELECT choice FROM attempts") == [("A",)]
    assert query(db_path, "SELECT outcome FROM questions") == [(None,)]
    assert scalar(db_path, "SELECT COUNT(*) FROM scores") == 0


class PausedAfterLoad:
    """Holds `service`'s next run unit just after it loaded the run (its snapshot taken)
    until `release()`, so that another process commits in between (PostgreSQL only)."""

    def __init__(self, service: GameService) -> None:
        self.isolation: list[str] = []  # the held unit's isolation level, once held
        self._released = threading.Event()
        original = service.variants.load_in

        def load_in_then_pause(conn: sqlite3.Connection, pack_id: str, ids: object) -> None:
            original(conn, pack_id, ids)  # type: ignore[arg-type]
            self.isolation.append(conn.execute("SHOW transaction_isolation").fetchone()[0])
            self._released.wait(timeout=20)

        service.variants.load_in = load_in_then_pause  # type: ignore[method-assign]

    async def held(self) -> None:
        while not self.isolation:
            await asyncio.sleep(0.01)

    def release(self) -> None:
        self._released.set()


async def test_a_click_decided_from_a_stale_snapshot_reruns_instead_of_failing(
    db_path: Path, engine: str, services: Services, clock: FakeClock
) -> None:
    """On PostgreSQL a run's answer runs at REPEATABLE READ (issue 16) with the player's
    row written first: a second process's click that commits while this one is between
    its load and its save makes this one rerun and count as attempt 2, never a
    unique-key refusal of a legitimate click or a decision from the stale snapshot."""
    if engine != "postgres":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes the second writer wait before it loads")
    first, run = await _one_question(db_path, services, clock, "")
    second = await services.open(db_path)
    paused = PausedAfterLoad(first)
    clock.advance(1)
    slow = asyncio.create_task(first.answer(run.id, run.player_id, "A"))
    await paused.held()
    await second.answer(run.id, run.player_id, "C")  # wrong: attempt 1, from the other process
    paused.release()
    state, result = await asyncio.wait_for(slow, timeout=30)
    assert paused.isolation[0] == "repeatable read"
    assert first.db.retries >= 1
    assert list(state.questions[0].attempts) == ["C", "A"] and result.closed
    assert query(db_path, "SELECT attempt_no, choice FROM attempts ORDER BY attempt_no") == [
        (1, "C"),
        (2, "A"),
    ]
    _check_question_rows(db_path, run.id, 2)


async def test_two_processes_answering_the_same_problem_do_not_rerun_each_other(
    db_path: Path, engine: str, services: Services, clock: FakeClock
) -> None:
    """Two players on two replicas close the same problem at once. Each answer queues its
    move of the problem's difficulty instead of rewriting the one row both share, so
    neither transaction is refused and rerun (issue 16), and after the fold the problem
    rests on both answers, with nothing left in the queue."""
    if engine != "postgres":
        pytest.skip("SQLite's BEGIN IMMEDIATE makes the second writer wait before it loads")
    first, ada_run = await _one_question(db_path, services, clock, "")
    second = await services.open(db_path)
    bob = await second.player_id(ref("bob"))
    bob_run = await second.start(bob, "challenge", seed=1)
    problem_id = ada_run.problem_ids[0]
    assert bob_run.problem_ids[0] == problem_id  # the same problem for both
    right = first.pack(ada_run.pack_id).problem(problem_id).answer
    paused = PausedAfterLoad(first)
    clock.advance(1)
    slow = asyncio.create_task(first.answer(ada_run.id, ada_run.player_id, right))
    await paused.held()
    await second.answer(bob_run.id, bob, right)
    paused.release()
    _, result = await asyncio.wait_for(slow, timeout=30)
    assert result.closed
    assert first.db.retries == 0 and second.db.retries == 0
    pack_id = ada_run.pack_id
    rated = "SELECT answers FROM item_ratings WHERE pack_id = ? AND problem_id = ?"
    assert query(db_path, rated, (pack_id, problem_id)) == [(2,)]
    assert scalar(db_path, "SELECT COUNT(*) FROM item_evidence") == 0


async def test_item_evidence_left_unfolded_by_a_dead_process_counts_and_is_folded(
    db_path: Path, services: Services
) -> None:
    """An answer's move of a difficulty committed but never folded (its process died in
    between) already counts for every reader, and the next lrquiz to write folds it into
    the stored row without changing what readers see."""
    service = await services.open(db_path)
    pack = service.pack("test-pack")
    problem = pack.problems[0]
    seed = seed_difficulty(problem)
    query(
        db_path,
        "INSERT INTO item_evidence(pack_id, problem_id, seed, surprise, at) VALUES (?, ?, ?, ?, ?)",
        (pack.id, problem.id, seed.value, 0.75, T0),
    )
    expected = move_item(seed, 0.75)
    assert expected.value < seed.value  # a right answer nobody expected: easier

    async def read() -> Rating:
        return await service.db.run(lambda conn: item_rating(conn, pack.id, problem))

    assert await read() == expected
    await services.close(service)
    service = await services.open(db_path)
    await service.player_id(ref("someone-new"))  # any write (PostgreSQL: opening) folds
    assert scalar(db_path, "SELECT COUNT(*) FROM item_evidence") == 0
    stored = "SELECT difficulty, answers FROM item_ratings WHERE problem_id = ?"
    assert query(db_path, stored, (problem.id,)) == [(expected.value, 1)]
    assert await read() == expected
