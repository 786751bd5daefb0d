"""What a newcomer runs into first (issue 17), on a pipe: every item as they would try it."""

from __future__ import annotations

import copy
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wcwidth import wcswidth

from problems.loader import default_pack
from problems.model import LEVELS

from .support import (
    BEFORE_PYTHON_STARTED,
    RUN_TIMEOUT_S,
    TRACEBACK,
    LiveCli,
    assert_clean,
    cli_env,
    command,
    db_files,
    drive,
    flat,
    play,
    query,
    right,
    run_cli,
    shipped_data,
    write_pack,
)

ONE_PACK = "one-pack"


def one_problem_pack(tmp: Path) -> tuple[Path, dict]:
    """A pack with one untimed-looking conceptual problem, so a piped answer is known."""
    problem = copy.deepcopy(
        next(p for p in shipped_data()["problems"] if p["kind"] == "conceptual")
    )
    return write_pack(tmp / "one.yaml", ONE_PACK, [problem], "One problem"), problem


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    both = result.stdout + result.stderr
    assert TRACEBACK not in both, both
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines and ": error: " in lines[-1], result.stderr
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


# --------------------------------------------------------------- flags a newcomer gets wrong


@pytest.mark.parametrize("name", ["   ", "", "\t", "ann\x1b[31m"])
def test_a_blank_or_unprintable_user_name_is_refused(tmp_path: Path, db: Path, name: str):
    result = run_cli(tmp_path, "play", "--user", name, "--db", str(db), "--runner", "off")
    assert result.returncode == 2
    assert "not a usable player name" in result.stderr
    assert TRACEBACK not in result.stderr
    assert not db.exists()


def test_user_names_are_trimmed(tmp_path: Path, db: Path):
    assert_clean(play(tmp_path, db, ["q"], user="  ann   lee "))
    assert query(db, "SELECT display_name FROM users") == [("ann lee",)]


@pytest.mark.parametrize("flag", [["--mode", "test"], ["--resume"]])
def test_daily_refuses_mode_and_resume(tmp_path: Path, db: Path, flag: list[str]):
    result = run_cli(tmp_path, "play", "--daily", *flag, "--db", str(db), "--runner", "off")
    assert result.returncode == 1
    one_line_error(result, "--daily", flag[0])
    assert not db.exists()


def test_play_says_it_starts_a_timed_challenge_by_default(tmp_path: Path, db: Path):
    default = run_cli(tmp_path, "play", "--db", str(db), "--runner", "off", stdin="q\n")
    assert_clean(default)
    first = default.stdout.splitlines()[0]
    assert "No --mode given: a timed challenge, the default" in first
    assert "2:00 each" in first
    chosen = play(tmp_path, db, ["q"], mode="challenge")
    assert "No --mode given" not in chosen.stdout


def test_one_difficulty_scale_the_one_points_follow(tmp_path: Path, db: Path):
    played = drive(tmp_path, db, right, mode="test")
    headers = [line for line in played.stdout.splitlines() if line.startswith("Question ")]
    assert len(headers) == 10
    for header, problem in zip(headers, played.asked, strict=True):
        assert f" · {problem.difficulty} · " in header, header
        assert not any(level in header for level in LEVELS), header
    points = {"easy": 10, "medium": 20, "hard": 30}
    for header, problem in zip(headers, played.asked, strict=True):
        assert header.endswith(f"{points[problem.difficulty]} points"), header


# --------------------------------------------------------------- output fits the terminal


def wordy_pack(tmp: Path) -> tuple[Path, list[dict]]:
    """Three problems: the longest answer, the longest prompt and the longest code line."""
    problems = shipped_data()["problems"]
    chosen = [
        max(problems, key=lambda p: len(p["choices"][p["answer"]])),
        max(problems, key=lambda p: len(p["prompt"])),
        max((p for p in problems if p.get("code")),
            key=lambda p: max(len(line) for line in p["code"].splitlines())),
    ]  # fmt: skip
    return write_pack(tmp / "wordy.yaml", ONE_PACK, copy.deepcopy(chosen), "Wordy"), chosen


@pytest.mark.parametrize("columns", [40, 80, 120])
def test_output_wraps_at_the_width_on_word_boundaries(tmp_path: Path, db: Path, columns: int):
    path, problems = wordy_pack(tmp_path)
    env = cli_env(tmp_path, COLUMNS=str(columns))
    result = play(tmp_path, db, ["a"] * 3, "--packs", str(path), mode="practice", env=env)
    assert_clean(result)
    out = result.stdout
    assert "\x1b[" not in out  # a pipe gets plain text, no colour or cursor codes
    assert max(wcswidth(line) for line in out.splitlines()) <= columns
    assert not any(line.endswith(" ") for line in out.splitlines())
    words = set(out.split())
    for problem in problems:
        answer = problem["choices"][problem["answer"]]
        for text in (answer, problem["prompt"], problem["solution"]["final"]):
            for word in text.split():
                assert word in words, f"{word!r} split at {columns} columns"
        assert f"Answer: {problem['answer']}. {flat(answer)}" in flat(out)
        if problem.get("code"):  # folded code stays in its gutter
            code_lines = [line for line in out.splitlines() if line.startswith("    │")]
            assert "".join(line[6:] for line in code_lines).replace(" ", "") == "".join(
                problem["code"].split()
            )


def test_status_line_with_time_left_follows_hints_and_wrong_answers(tmp_path: Path, db: Path):
    path, problem = one_problem_pack(tmp_path)
    wrong = next(letter for letter in problem["choices"] if letter != problem["answer"])
    result = play(tmp_path, db, ["h", wrong, problem["answer"]], "--packs", str(path))
    assert_clean(result)
    lines = result.stdout.splitlines()
    hint = next(i for i, line in enumerate(lines) if line.startswith("💡 Hint:"))
    wrong_at = next(i for i, line in enumerate(lines) if "is not it." in line)
    for at in (hint, wrong_at):
        status = next(line for line in lines[at:] if line.startswith("⏱ "))
        assert "remaining" in status
    assert "tried " + wrong in lines[wrong_at + 1]


def build_board(tmp: Path, db: Path, names: list[str]) -> None:
    path, problem = one_problem_pack(tmp)
    for name in names:
        assert_clean(play(tmp, db, [problem["answer"]], "--packs", str(path), user=name))


def test_stats_tables_line_up(tmp_path: Path, db: Path):
    build_board(tmp_path, db, ["ann"])
    result = run_cli(tmp_path, "stats", "--user", "ann", "--db", str(db))
    assert_clean(result)
    lines = result.stdout.splitlines()
    for title in ("By kind:", "By difficulty:"):
        start = next(i for i, line in enumerate(lines) if line.startswith(title))
        table = lines[start : lines.index("", start)]
        assert len(table) >= 4
        widths = {wcswidth(line) for line in table}
        assert len(widths) == 1, table  # right-aligned columns end in the same cell
        assert all("\ufe0f" not in line for line in table)  # no emoji in table cells


def test_long_and_wide_names_keep_leaderboard_columns(tmp_path: Path, db: Path):
    long_name = "Maximilian-Alexander " * 4
    build_board(tmp_path, db, ["ann", long_name.strip(), "山田太郎", "zoë"])
    result = run_cli(tmp_path, "leaderboard", "--db", str(db))
    assert_clean(result)
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == 4
    ends = {wcswidth(row[: row.index(" pts") + 4]) for row in rows}
    assert len(ends) == 1, rows
    assert any("…" in row for row in rows)
    assert any("山田太郎" in row for row in rows)


# --------------------------------------------------------------- reads never create


@pytest.mark.parametrize(
    "args", [["stats"], ["badges"], ["leaderboard"], ["leaderboard", "--json"]]
)
def test_read_only_commands_create_no_database(tmp_path: Path, args: list[str]):
    missing = tmp_path / "nowhere" / "quiz.db"
    result = run_cli(tmp_path, *args, "--db", str(missing))
    assert_clean(result)
    assert not missing.parent.exists()
    env = cli_env(tmp_path)
    assert_clean(run_cli(tmp_path, *args, env=env))
    assert not (Path(env["XDG_DATA_HOME"]) / "lrquiz").exists()


def test_stats_of_a_new_player_on_a_missing_database(tmp_path: Path):
    result = run_cli(tmp_path, "stats", "--user", "zed", "--db", str(tmp_path / "q.db"))
    assert_clean(result)
    assert "zed has not played here yet" in result.stdout
    assert not (tmp_path / "q.db").exists()


# --------------------------------------------------------------- failures are one line


def test_a_db_in_a_folder_nobody_may_write_is_one_line_every_time(tmp_path: Path):
    # /proc refuses new files even to root, who may write anywhere else.
    for _ in range(8):
        result = run_cli(tmp_path, "play", "--db", "/proc/lrquiz-test.db", "--runner", "off")
        line = one_line_error(result, "/proc/lrquiz-test.db", "cannot open")
        assert result.stderr.strip() == line
        assert "Event loop is closed" not in result.stderr


def damage_pages(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xab" * 4096
    path.write_bytes(bytes(data))


def lose_version(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM lrquiz_meta WHERE key = 'schema_version'")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("damage", [damage_pages, lose_version])
def test_a_damaged_lrquiz_database_is_called_damaged(tmp_path: Path, db: Path, damage):
    assert_clean(play(tmp_path, db, ["q"]))
    damage(db)
    before = db_files(db)
    for args in (["play", "--runner", "off"], ["leaderboard"], ["stats"]):
        result = run_cli(tmp_path, *args, "--db", str(db), stdin="q\n")
        line = one_line_error(result, "quiz.db", "damaged")
        assert "did not create" not in line
    assert db_files(db) == before


def test_a_closed_pipe_ends_the_leaderboard_quietly(tmp_path: Path, db: Path):
    build_board(tmp_path, db, ["ann", "bob"])
    for args in (["leaderboard"], ["leaderboard", "--json"], ["stats", "--user", "ann"]):
        proc = subprocess.Popen(
            command(*args, "--db", str(db)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(tmp_path),
            cwd=tmp_path,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # `| head` that has already gone
        err = proc.stderr.read().decode()
        proc.wait(30)
        assert "Broken pipe" not in err and TRACEBACK not in err, err
        assert err.strip() == ""


def test_a_missing_extra_names_the_checkout_install(tmp_path: Path):
    hide = tmp_path / "hide"
    hide.mkdir()
    # sitecustomize runs at start-up: importing discord then fails as if never installed.
    (hide / "sitecustomize.py").write_text("import sys\nsys.modules['discord'] = None\n")
    env = cli_env(tmp_path, DISCORD_TOKEN="x")
    env["PYTHONPATH"] = f"{hide}:{env['PYTHONPATH']}"
    result = run_cli(tmp_path, "run", "discord", "--runner", "off", env=env)
    assert result.returncode == 1
    line = one_line_error(result, "'discord'", 'pip install -e ".[discord]"')
    assert "ModuleNotFoundError" not in line and "internal error" not in line


# --------------------------------------------------------------- Ctrl-C and resuming


def python_start_s() -> float:
    """How long this Python takes to reach the first line of a program (site, .pth files):
    a Ctrl-C before then is Python's own start-up, which no program can catch."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.monotonic() - started


def test_ctrl_c_in_the_first_quarter_second_prints_no_traceback(tmp_path: Path, db: Path):
    floor = min(0.2, python_start_s() * 1.5)
    rng = random.Random(17)
    codes = []
    while len(codes) < 12:
        proc = subprocess.Popen(
            command("play", "--db", str(db), "--runner", "off"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=cli_env(tmp_path),
            cwd=tmp_path,
        )
        time.sleep(rng.uniform(floor, 0.25))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        both = (out + err).decode()
        if BEFORE_PYTHON_STARTED in both:
            # A loaded machine made CPython's own start (importing `site`, before any line of
            # lrquiz runs) outlast the delay: wait longer next time; the sample is not ours.
            floor = min(floor * 1.5, 1.0)
            continue
        assert TRACEBACK not in both, both
        assert "Event loop is closed" not in both
        codes.append(proc.returncode)
    # -SIGINT: the signal came before Python installed its handler, and printed nothing;
    # 0: it came as the run was already ending at the end of its input.
    assert set(codes) <= {130, -signal.SIGINT, 0}, codes
    assert codes.count(130) >= len(codes) // 2, codes


def test_ctrl_c_keeps_the_run_and_resume_continues_it(tmp_path: Path, db: Path):
    _, problem = one_problem_pack(tmp_path)
    second = copy.deepcopy(problem)
    second["id"] = "second-one"
    two = write_pack(tmp_path / "two.yaml", ONE_PACK, [problem, second], "Two")
    args = ["play", "--mode", "practice", "--user", "ann", "--db", str(db), "--runner", "off",
            "--packs", str(two)]  # fmt: skip
    live = LiveCli(tmp_path, *args)
    try:
        live.expect("q quit\n")
        live.send(problem["answer"])
        live.expect("Question 2/2")
        live.expect("q quit\n")
        live.proc.send_signal(signal.SIGINT)
        assert live.wait() == 130
    finally:
        live.kill()
    assert TRACEBACK not in live.stdout + live.stderr
    assert "Your run is saved; continue it with: lrquiz play --resume" in live.stdout
    assert query(db, "SELECT finished_at FROM sessions") == [(None,)]

    resumed = run_cli(tmp_path, *args, "--resume", stdin=f"{problem['answer']}\n")
    assert_clean(resumed)
    assert "Resuming your practice run at question 2 of 2" in resumed.stdout
    assert "Question 1/2" not in resumed.stdout
    assert "Practice finished" in resumed.stdout and "Score: 2/2" in resumed.stdout
    assert query(db, "SELECT count(*) FROM sessions") == [(1,)]

    nothing = run_cli(tmp_path, *args, "--resume")
    one_line_error(nothing, "no unfinished run to resume")


def test_end_of_input_in_a_daily_keeps_the_day(tmp_path: Path, db: Path):
    pack = default_pack()
    played = drive(tmp_path, db, lambda n, p: [p.answer] if n == 1 else None, "--daily", pack=pack)
    assert played.code == 0
    assert "continue it with: lrquiz play --daily" in played.stdout
    again = run_cli(tmp_path, "play", "--daily", "--user", "ann", "--db", str(db),
                    "--runner", "off")  # fmt: skip
    assert_clean(again)
    assert "Resuming your daily challenge" in again.stdout
    assert "Question 2/5" in again.stdout and "Question 1/5" not in again.stdout


def test_q_in_a_daily_asks_before_giving_up_the_day(tmp_path: Path, db: Path):
    base = ["play", "--daily", "--user", "ann", "--db", str(db), "--runner", "off"]
    kept = run_cli(tmp_path, *base, stdin="q\nn\n")
    assert_clean(kept)
    assert "Give up today's daily challenge?" in kept.stdout
    assert "ended early" not in kept.stdout
    assert query(db, "SELECT finished_at FROM sessions") == [(None,)]
    given_up = run_cli(tmp_path, *base, stdin="q\ny\n")
    assert_clean(given_up)
    assert "Challenge ended early" in given_up.stdout
    again = run_cli(tmp_path, *base, stdin="a\n")
    assert "You already played today's challenge" in again.stdout


def test_a_reader_that_stops_early_ends_play_quietly(tmp_path: Path, db: Path):
    """`lrquiz play ... | head -2`: the reader leaves; no traceback, no error line."""
    proc = subprocess.Popen(
        command("play", "--mode", "practice", "--db", str(db), "--runner", "off"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(tmp_path),
        cwd=tmp_path,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"a\n\nb\n\nc\n\n")
    proc.stdin.close()
    proc.stdout.readline()
    proc.stdout.close()  # what `head -1` does after its line
    err = proc.stderr.read().decode() if proc.stderr else ""
    proc.wait(timeout=RUN_TIMEOUT_S)
    assert TRACEBACK not in err, err
    assert "failed" not in err, err
