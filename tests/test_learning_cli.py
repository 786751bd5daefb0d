"""`lrquiz ratings rebuild`, `lrquiz problems stats` and `lrquiz play --mode review`, run as
real subprocesses against one database file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from problems.loader import default_pack
from tests.terminal.support import assert_clean, play, query, run_cli

TABLES = (
    "SELECT * FROM learner_ratings ORDER BY user_id, topic",
    "SELECT * FROM item_ratings ORDER BY pack_id, problem_id",
    "SELECT * FROM review_cards ORDER BY user_id, pack_id, problem_id",
)


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Three players' ten-question tests: ann always A, bob always B, cy always C."""
    tmp = tmp_path_factory.mktemp("learning")
    db = tmp / "quiz.db"
    for user, letter in (("ann", "a"), ("bob", "b"), ("cy", "c")):
        assert_clean(play(tmp, db, [letter] * 10, mode="test", user=user))
    return tmp, db


def test_problems_stats_json_counts_every_first_try(played: tuple[Path, Path]) -> None:
    tmp, db = played
    result = run_cli(tmp, "problems", "stats", "--db", str(db), "--json")
    assert_clean(result)
    (pack,) = json.loads(result.stdout)["packs"]
    rows = {row["problem"]: row for row in pack["problems"]}
    asked = query(db, "SELECT problem_id, COUNT(*) FROM questions GROUP BY problem_id")
    assert {pid: rows[pid]["n"] for pid, _ in asked} == dict(asked)
    assert sum(row["n"] for row in rows.values()) == 30
    shipped = default_pack()
    for pid, _ in asked:
        row = rows[pid]
        assert sum(row["picks"].values()) == pytest.approx(1.0, abs=1e-3)
        key = shipped.problem(pid).answer
        assert row["facility"] == pytest.approx(row["picks"][key], abs=1e-3)
        assert row["flags"] == []  # nobody has 10 answers yet


def test_problems_stats_text(played: tuple[Path, Path]) -> None:
    tmp, db = played
    result = run_cli(tmp, "problems", "stats", "--db", str(db))
    assert_clean(result)
    assert "Pack lr-differential: 30 answers" in result.stdout
    assert "problems flagged" in result.stdout


def test_ratings_rebuild_reproduces_the_online_tables(played: tuple[Path, Path]) -> None:
    tmp, db = played
    before = [query(db, sql) for sql in TABLES]
    assert all(before)
    result = run_cli(tmp, "ratings", "rebuild", "--db", str(db))
    assert_clean(result)
    assert result.stdout.strip() == "ratings rebuilt from 30 answers of 3 learners"
    assert [query(db, sql) for sql in TABLES] == before


def test_review_mode_and_the_new_stats_lines(tmp_path: Path) -> None:
    db = tmp_path / "quiz.db"
    assert_clean(play(tmp_path, db, ["a"] * 10, mode="test"))
    review = play(tmp_path, db, ["b"] * 5, mode="review")
    assert_clean(review)
    assert "Review finished" in review.stdout and "remaining" not in review.stdout
    stats = run_cli(tmp_path, "stats", "--user", "ann", "--db", str(db))
    assert_clean(stats)
    assert "Mastery by topic (predicted share right):" in stats.stdout
    assert "Weakest topic:" in stats.stdout
    assert "Today's 3 problems picked for you: lrquiz suggest" in stats.stdout
    assert "Reviews due: 0 of " in stats.stdout and "predicted recall" in stats.stdout


@pytest.mark.parametrize("args", [("ratings", "rebuild"), ("problems", "stats")])
def test_a_folder_as_database_is_a_one_line_error(tmp_path: Path, args: tuple[str, str]) -> None:
    result = run_cli(tmp_path, *args, "--db", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"lrquiz: error: {tmp_path}: is a directory, not a database file"
    ]
