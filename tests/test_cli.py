"""The `lrquiz` command line as a contract (DESIGN.md section 4), run as a real subprocess.

Leaderboard output, where the database lives, and bad input: one line on stderr, a non-zero
exit, never a traceback, and nothing written.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.engine.scoring import points_for
from problems.loader import default_pack
from problems.model import Pack, Problem
from tests.terminal.support import (
    TRACEBACK,
    assert_clean,
    assert_played_clean,
    cli_env,
    db_files,
    drive,
    play,
    query,
    right,
    run_cli,
    wrong_letters,
)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return default_pack()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"


def assert_one_line_error(result, code: int = 1, *needles: str) -> str:
    """A single `lrquiz: error:` line on stderr (or argparse usage + error), no traceback."""
    both = result.stdout + result.stderr
    assert TRACEBACK not in both, both
    assert result.returncode == code, f"exit {result.returncode}: {result.stderr}"
    lines = result.stderr.strip().splitlines()
    if code == 2:  # argparse: usage lines, then `lrquiz ...: error: ...`
        assert lines[0].startswith("usage: lrquiz"), result.stderr
        assert lines[-1].startswith("lrquiz") and ": error: " in lines[-1], result.stderr
    else:
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("lrquiz: error: "), result.stderr
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


# ---------------------------------------------------------------- leaderboard


@pytest.fixture(scope="module")
def board_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("board") / "quiz.db"


@pytest.fixture(scope="module")
def two_players(tmp_path_factory: pytest.TempPathFactory, board_db: Path, pack: Pack):
    """ann answers the whole challenge right; bob gets question 1 on his second try and quits.

    Module-scoped: the leaderboard tests only read this database.
    """
    tmp_path = board_db.parent
    db = board_db
    ann = drive(tmp_path, db, right, pack=pack, user="ann")
    assert_played_clean(ann)

    def bob_plan(number: int, problem: Problem) -> list[str]:
        return [wrong_letters(problem)[0], problem.answer] if number == 1 else ["q"]

    bob = drive(tmp_path, db, bob_plan, pack=pack, user="bob")
    assert_played_clean(bob)
    return {
        "ann": sum(points_for(p.difficulty, 1, False) for p in ann.asked),
        "bob": points_for(bob.asked[0].difficulty, 2, False),
    }


def test_leaderboard_json_ranks_by_points(
    tmp_path: Path, board_db: Path, two_players: dict[str, int]
):
    result = run_cli(tmp_path, "leaderboard", "--db", str(board_db), "--json")
    assert_clean(result)
    board = json.loads(result.stdout)
    assert board["period"] == "all"
    rows = board["rows"]
    assert [(r["rank"], r["name"], r["points"]) for r in rows] == [
        (1, "ann", two_players["ann"]),
        (2, "bob", two_players["bob"]),
    ]
    ann, bob = rows
    assert (ann["correct"], ann["answered"], ann["accuracy"]) == (5, 5, 1.0)
    assert (bob["correct"], bob["answered"]) == (1, 1)
    assert set(ann) == {"rank", "name", "points", "correct", "answered", "accuracy"}


@pytest.mark.parametrize("period", ["day", "week", "month", "all"])
def test_leaderboard_periods(
    tmp_path: Path, board_db: Path, two_players: dict[str, int], period: str
):
    result = run_cli(tmp_path, "leaderboard", "--db", str(board_db), "--period", period, "--json")
    assert_clean(result)
    board = json.loads(result.stdout)
    assert board["period"] == period
    assert [r["name"] for r in board["rows"]] == ["ann", "bob"]


def test_leaderboard_text_names_the_players(
    tmp_path: Path, board_db: Path, two_players: dict[str, int]
):
    result = run_cli(tmp_path, "leaderboard", "--db", str(board_db), "--period", "day")
    assert_clean(result)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "🏆 Leaderboard — today"
    assert "ann" in lines[1] and f"{two_players['ann']} pts" in lines[1]
    assert lines[1].lstrip().startswith("1.")
    assert "bob" in lines[2] and f"{two_players['bob']} pts" in lines[2]
    assert "5/5 correct (100%)" in lines[1]


def test_leaderboard_on_an_empty_database(tmp_path: Path, db: Path):
    result = run_cli(tmp_path, "leaderboard", "--db", str(db))
    assert_clean(result)
    assert "No answers yet" in result.stdout
    as_json = run_cli(tmp_path, "leaderboard", "--db", str(db), "--json")
    assert_clean(as_json)
    assert json.loads(as_json.stdout) == {"period": "all", "rows": []}


def test_practice_earns_no_leaderboard_points(tmp_path: Path, db: Path):
    assert_clean(play(tmp_path, db, ["a"] * 5, mode="practice", user="cy"))
    board = json.loads(run_cli(tmp_path, "leaderboard", "--db", str(db), "--json").stdout)
    assert all(row["points"] == 0 for row in board["rows"])


# ---------------------------------------------------------------- where the database lives


def test_lrquiz_db_env_is_used_without_db_flag(tmp_path: Path, pack: Pack):
    env_db = tmp_path / "from-env" / "env.db"
    env = cli_env(tmp_path, LRQUIZ_DB=str(env_db))
    played = drive(tmp_path, None, lambda n, p: [p.answer] if n == 1 else ["q"], env=env, pack=pack)
    assert_played_clean(played)
    assert env_db.is_file()
    assert query(env_db, "SELECT display_name FROM users") == [("ann",)]
    assert not (tmp_path / "xdg" / "lrquiz" / "lrquiz.db").exists()
    board = run_cli(tmp_path, "leaderboard", "--json", env=env)
    assert [r["name"] for r in json.loads(board.stdout)["rows"]] == ["ann"]


def test_db_flag_overrides_lrquiz_db(tmp_path: Path, db: Path):
    env_db = tmp_path / "env.db"
    env = cli_env(tmp_path, LRQUIZ_DB=str(env_db))
    result = run_cli(
        tmp_path, "play", "--db", str(db), "--user", "ann", "--runner", "off", stdin="q\n", env=env
    )
    assert_clean(result)
    assert db.is_file()
    assert not env_db.exists()


def test_default_database_is_under_xdg_data_home(tmp_path: Path):
    env = cli_env(tmp_path)
    result = run_cli(tmp_path, "play", "--user", "ann", "--runner", "off", stdin="q\n", env=env)
    assert_clean(result)
    default = Path(env["XDG_DATA_HOME"]) / "lrquiz" / "lrquiz.db"
    assert default.is_file()
    assert query(default, "SELECT display_name FROM users") == [("ann",)]


def test_default_database_without_xdg_is_under_home(tmp_path: Path):
    env = cli_env(tmp_path)
    del env["XDG_DATA_HOME"]
    result = run_cli(tmp_path, "play", "--user", "ann", "--runner", "off", stdin="q\n", env=env)
    assert_clean(result)
    assert (Path(env["HOME"]) / ".local" / "share" / "lrquiz" / "lrquiz.db").is_file()


# ---------------------------------------------------------------- bad input


def test_db_that_is_not_sqlite_is_refused_untouched(tmp_path: Path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 50)
    before = db_files(path)
    for args in (["play", "--runner", "off"], ["leaderboard"]):
        result = run_cli(tmp_path, *args, "--db", str(path), stdin="b\n")
        assert_one_line_error(result, 1, "notes.db")
    assert db_files(path) == before


def make_newer_db(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE lrquiz_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO lrquiz_meta VALUES ('schema_version', '999')")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, future TEXT)")
    conn.commit()
    conn.close()


def test_db_with_a_newer_schema_is_refused_untouched(tmp_path: Path):
    path = tmp_path / "future.db"
    make_newer_db(path)
    before = db_files(path)
    for args in (["play", "--runner", "off"], ["leaderboard", "--json"]):
        result = run_cli(tmp_path, *args, "--db", str(path), stdin="b\n")
        assert_one_line_error(result, 1, "future.db", "999")
    assert db_files(path) == before
    assert "Question" not in result.stdout


def test_db_with_foreign_tables_is_refused_untouched(tmp_path: Path):
    path = tmp_path / "other-app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (name TEXT)")
    conn.execute("INSERT INTO users VALUES ('someone else')")
    conn.commit()
    conn.close()
    before = db_files(path)
    result = run_cli(tmp_path, "play", "--runner", "off", "--db", str(path), stdin="b\n")
    assert_one_line_error(result, 1, "other-app.db", "users")
    assert db_files(path) == before


def test_db_that_is_a_directory(tmp_path: Path):
    folder = tmp_path / "adir"
    folder.mkdir()
    result = run_cli(tmp_path, "play", "--runner", "off", "--db", str(folder), stdin="b\n")
    assert_one_line_error(result, 1, "adir", "directory")
    assert list(folder.iterdir()) == []
    board = run_cli(tmp_path, "leaderboard", env=cli_env(tmp_path, LRQUIZ_DB=str(folder)))
    assert_one_line_error(board, 1, "directory")


def test_db_under_a_plain_file(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli(tmp_path, "play", "--runner", "off", "--db", str(blocker / "q.db"))
    assert_one_line_error(result, 1, "q.db")
    assert blocker.read_text() == "x"


@pytest.mark.parametrize(
    "args",
    [
        ["play", "--mode", "speedrun"],
        ["leaderboard", "--period", "year"],
        ["play", "--bogus"],
        [],
        ["problems"],
        ["play", "--runner"],
    ],
    ids=["mode", "period", "unknown-flag", "no-command", "no-problems-command", "flag-no-value"],
)
def test_argparse_errors(tmp_path: Path, args: list[str]):
    result = run_cli(tmp_path, *args)
    assert_one_line_error(result, 2)
    assert not (tmp_path / "xdg").exists()  # nothing opened the default database


def test_unknown_pack_id(tmp_path: Path, db: Path, pack: Pack):
    assert_clean(play(tmp_path, db, ["q"]))
    before = db_files(db)
    result = play(tmp_path, db, ["b"], "--pack", "nope")
    assert_one_line_error(result, 1, "'nope'", pack.id)
    assert db_files(db) == before


def test_unknown_pack_id_creates_no_database(tmp_path: Path, db: Path):
    result = play(tmp_path, db, ["b"], "--pack", "nope")
    assert_one_line_error(result, 1, "'nope'")
    assert not db.exists()


def test_empty_db_flag_is_an_error(tmp_path: Path):
    env = cli_env(tmp_path)
    result = run_cli(tmp_path, "play", "--db", "", "--runner", "off", stdin="q\n", env=env)
    assert not (Path(env["XDG_DATA_HOME"]) / "lrquiz" / "lrquiz.db").exists()
    assert_one_line_error(result, 1)


def test_broken_yaml_pack_names_file_and_line(tmp_path: Path, db: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\ntitle: [unclosed\n  foo: bar\n", encoding="utf-8")
    result = play(tmp_path, db, ["b"], "--packs", str(broken))
    line = assert_one_line_error(result, 1, "broken.yaml:")
    assert "broken.yaml:3:" in line or "broken.yaml:2:" in line
    assert not db.exists()  # packs load before the database is opened


def test_invalid_pack_names_file_line_and_field(tmp_path: Path, db: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: p\ntitle: T\nsummary: s\nbadges: []\nproblems:\n"
        "  - id: a\n    kind: conceptual\n    difficulty: easy\n    prompt: hi\n"
        "    choices: {A: x, B: y}\n    answer: E\n    hint: h\n"
        "    solution: {steps: [s], final: f}\n",
        encoding="utf-8",
    )
    result = play(tmp_path, db, ["b"], "--packs", str(bad))
    assert_one_line_error(result, 1, "bad.yaml:11:", "answer")
    assert not db.exists()

    check = run_cli(tmp_path, "problems", "check", str(bad))
    assert check.returncode == 1
    assert TRACEBACK not in check.stdout + check.stderr
    assert "bad.yaml:11:" in check.stderr and "'answer'" in check.stderr


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.yaml", b"id: x\ntitle: [unclosed\n  foo: bar\n"),
        ("binary.yaml", b"\xff\xfe\x00garbage"),
        ("list.yaml", b"- just\n- a list\n"),
        ("empty.yaml", b""),
    ],
)
def test_problems_check_bad_pack_exits_1(tmp_path: Path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    result = run_cli(tmp_path, "problems", "check", str(path))
    assert result.returncode == 1
    assert TRACEBACK not in result.stdout + result.stderr
    assert name in result.stderr


def test_problems_check_missing_file_and_empty_folder(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    result = run_cli(tmp_path, "problems", "check", "missing.yaml", "empty")
    assert result.returncode == 1
    assert TRACEBACK not in result.stderr
    assert "missing.yaml: file not found" in result.stderr
    assert "empty" in result.stderr


def test_problems_check_shipped_packs_pass(tmp_path: Path):
    result = run_cli(tmp_path, "problems", "check")
    assert_clean(result)
    assert "ok  " in result.stderr


def test_missing_packs_path(tmp_path: Path, db: Path):
    result = play(tmp_path, db, ["b"], "--packs", str(tmp_path / "nowhere.yaml"))
    assert_one_line_error(result, 1, "nowhere.yaml", "not found")
    assert not db.exists()


def test_python_dash_m_and_help(tmp_path: Path):
    result = run_cli(tmp_path, "--help")
    assert_clean(result)
    for name in ("play", "leaderboard", "problems", "runner"):
        assert name in result.stdout
    play_help = run_cli(tmp_path, "play", "--help")
    assert_clean(play_help)
    for flag in ("--mode", "--user", "--db", "--pack", "--packs", "--runner"):
        assert flag in play_help.stdout


def test_dotenv_file_supplies_configuration_but_the_environment_wins(tmp_path: Path):
    from_file = tmp_path / "from-dotenv.db"
    from_env = tmp_path / "from-env.db"
    (tmp_path / ".env").write_text(f"LRQUIZ_DB={from_file}\n")
    assert_clean(run_cli(tmp_path, "play", "--runner", "off", stdin="q\n"))
    assert from_file.is_file()
    env = cli_env(tmp_path, LRQUIZ_DB=str(from_env))
    assert_clean(run_cli(tmp_path, "play", "--runner", "off", stdin="q\n", env=env))
    assert from_env.is_file()
