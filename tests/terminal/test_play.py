"""`lrquiz play --mode challenge` end to end: answers, attempts, hints, quitting, bad lines."""

from __future__ import annotations

from pathlib import Path

from bot.engine.scoring import points_for
from problems.model import KINDS, LEVELS, Pack, Problem

from .support import (
    HELP,
    LiveCli,
    assert_clean,
    assert_played_clean,
    cli_env,
    drive,
    flat,
    play,
    problem_in,
    query,
    right,
    run_cli,
    wrong_letters,
)


def first_then_quit(*lines: str):
    """A plan: `lines` on question 1 (built from its problem), then quit on question 2."""

    def plan(number: int, problem: Problem) -> list[str]:
        if number > 1:
            return ["q"]
        wrong = wrong_letters(problem)
        return [
            problem.answer if line == "RIGHT" else wrong[int(line[-1])] if line[:-1] == "WRONG"
            else line
            for line in lines
        ]  # fmt: skip

    return plan


def test_perfect_challenge_scores_five_and_earns_the_badge(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, right, pack=pack)
    assert_played_clean(played)
    out = played.stdout
    assert played.total == 5
    assert len({p.id for p in played.asked}) == 5
    assert out.count("✅ Correct!") == 5
    assert "is not it" not in out
    assert "Score: 5/5" in out
    total = sum(points_for(p.difficulty, 1, False) for p in played.asked)
    assert f"Points: {total}" in out
    badge = pack.badges[0]
    assert badge.name == "Learning Rate Differential Master"
    assert f"Badge earned: {badge.name}" in out
    assert "Challenge finished" in out
    for number, problem in enumerate(played.asked, start=1):
        assert f"Question {number}/5" in out
        assert f"Answer: {problem.answer}. {flat(problem.answer_text)}" in flat(out)
    # One per kind, ordered intermediate -> expert as the seed page has it.
    assert sorted(p.kind for p in played.asked) == sorted(KINDS)
    levels = [LEVELS.index(p.level) for p in played.asked if p.level]
    assert levels == sorted(levels)

    scores = query(db, "SELECT correct, points, ranked, mode FROM scores ORDER BY idx")
    assert [row[0] for row in scores] == [1] * 5
    assert sum(row[1] for row in scores) == total
    assert {row[3] for row in scores} == {"challenge"}
    badges = query(
        db,
        "SELECT b.badge_id, u.display_name FROM badges b JOIN users u ON u.id = b.user_id "
        "ORDER BY b.rowid",
    )
    # First try on every question, no hint: the built-in Flawless badge comes with it.
    assert badges == [(badge.id, "ann"), ("flawless", "ann")]
    assert "Badge earned: Flawless" in out


def test_wrong_then_right_earns_half_points(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, first_then_quit("WRONG0", "RIGHT"), pack=pack)
    assert_played_clean(played)
    first = played.asked[0]
    out = played.stdout
    assert "is not it. 1 attempt left." in out
    half = points_for(first.difficulty, 2, False)
    assert half == (points_for(first.difficulty, 1, False) + 1) // 2
    assert f"✅ Correct! +{half} points" in out
    assert out.index("is not it") < out.index("✅ Correct!")
    assert query(db, "SELECT idx, points, correct FROM scores") == [(0, half, 1)]
    assert query(db, "SELECT count(*) FROM attempts WHERE idx = 0") == [(2,)]


def test_wrong_twice_reveals_the_answer_and_solution(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, first_then_quit("WRONG0", "WRONG1"), pack=pack)
    assert_played_clean(played)
    first = played.asked[0]
    out = played.stdout
    assert "is not it. 1 attempt left." in out
    assert "❌ Not this time." in out
    assert "✅" not in out
    reveal = out[out.index("Not this time") : out.index("Question 2/5")]
    assert f"Answer: {first.answer}. {flat(first.answer_text)}" in flat(reveal)
    assert "\nSolution\n" in reveal
    for n, step in enumerate(first.solution.steps, start=1):
        assert f"  {n}. {step.split()[0]}" in reveal
    assert f"Final answer: {flat(first.solution.final)}" in flat(reveal)
    assert f"Quick check: {flat(first.solution.quick_check)}" in flat(reveal)
    assert "Common mistakes:" in reveal
    for mistake in first.solution.common_mistakes:
        assert f"• {flat(mistake)}" in flat(reveal)
    assert query(db, "SELECT idx, points, correct FROM scores") == [(0, 0, 0)]


def test_hint_shows_the_text_and_halves_the_points(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, first_then_quit("h", "RIGHT"), pack=pack)
    assert_played_clean(played)
    first = played.asked[0]
    out = played.stdout
    assert f"💡 Hint: {flat(first.hint)}" in flat(out)
    with_hint = points_for(first.difficulty, 1, True)
    assert with_hint == (points_for(first.difficulty, 1, False) + 1) // 2
    assert f"✅ Correct! +{with_hint} points (hint used)" in out
    assert query(db, "SELECT points FROM scores") == [(with_hint,)]
    assert query(db, "SELECT idx FROM hints") == [(0,)]


def test_hint_then_second_attempt_quarters_the_points(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, first_then_quit("h", "hint", "WRONG0", "RIGHT"), pack=pack)
    assert_played_clean(played)
    expected = points_for(played.asked[0].difficulty, 2, True)
    assert played.stdout.count("💡 Hint:") == 2  # asking again repeats it at no extra cost
    assert f"✅ Correct! +{expected} points (hint used)" in played.stdout
    assert query(db, "SELECT points FROM scores") == [(expected,)]


def test_q_quits_early_and_exits_zero(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, first_then_quit("RIGHT"), pack=pack)
    assert_played_clean(played)
    out = played.stdout
    assert "Challenge ended early" in out
    assert "Score: 1/5" in out
    assert "Question 3/5" not in out
    assert "Badge earned" not in out
    rows = query(db, "SELECT idx, outcome FROM questions ORDER BY idx")
    assert rows == [(0, "correct"), (1, "skipped")]
    assert query(db, "SELECT count(*) FROM sessions WHERE finished_at IS NOT NULL") == [(1,)]


def test_quit_word_also_quits(tmp_path: Path, db: Path):
    result = play(tmp_path, db, ["QUIT"])
    assert_clean(result)
    assert "ended early" in result.stdout


def test_eof_mid_question_ends_cleanly(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, lambda n, p: [p.answer] if n == 1 else None, pack=pack)
    assert_played_clean(played)
    assert "Question 2/5" in played.stdout
    assert "ended early" in played.stdout
    assert "Score: 1/5" in played.stdout
    assert played.stderr == ""
    assert query(db, "SELECT idx, outcome FROM questions ORDER BY idx") == [
        (0, "correct"),
        (1, "skipped"),
    ]


def test_empty_stdin_ends_cleanly(tmp_path: Path, db: Path):
    result = play(tmp_path, db, [])
    assert_clean(result)
    assert "Question 1/5" in result.stdout
    assert "Score: 0/5" in result.stdout
    assert "ended early" in result.stdout
    assert result.stderr == ""


def test_eof_without_trailing_newline_still_reads_the_last_answer(
    tmp_path: Path, db: Path, pack: Pack
):
    live = LiveCli(tmp_path, *command_args(db))
    try:
        end = live.expect("q quit\n")
        problem = problem_in(live.stdout[:end], pack)
        assert live.proc.stdin is not None
        live.proc.stdin.write(problem.answer.encode())  # no newline, then EOF
        live.close_stdin()
        assert live.wait() == 0
    finally:
        live.kill()
    assert "✅ Correct!" in live.stdout
    assert "ended early" in live.stdout
    assert "Traceback" not in live.stderr


def test_garbage_lines_print_help_and_do_not_use_an_attempt(tmp_path: Path, db: Path, pack: Pack):
    plan = first_then_quit("x", "42", "", "e", "WRONG0", "RIGHT")
    played = drive(tmp_path, db, plan, pack=pack)
    assert_played_clean(played)
    out = played.stdout
    assert out.count(HELP) == 3  # the blank line is ignored silently
    # Four bad lines and still the second attempt is left after one wrong answer.
    assert "is not it. 1 attempt left." in out
    assert f"✅ Correct! +{points_for(played.asked[0].difficulty, 2, False)} points" in out
    assert query(db, "SELECT count(*) FROM attempts") == [(2,)]


def test_answers_are_case_and_space_insensitive(tmp_path: Path, db: Path, pack: Pack):
    played = drive(tmp_path, db, lambda n, p: [f"  {p.answer.lower()} "] if n == 1 else ["q"])
    assert_played_clean(played)
    assert "✅ Correct!" in played.stdout


def test_the_same_player_keeps_one_user_row(tmp_path: Path, db: Path):
    for _ in range(2):
        assert_clean(play(tmp_path, db, ["q"], user="ann"))
    assert_clean(play(tmp_path, db, ["q"], user="bob"))
    names = query(db, "SELECT display_name FROM users ORDER BY id")
    assert names == [("ann",), ("bob",)]
    assert query(db, "SELECT count(*) FROM sessions") == [(3,)]


def test_user_defaults_to_the_login_name(tmp_path: Path, db: Path):
    env = cli_env(tmp_path, USER="zoe", LOGNAME="zoe", LNAME="zoe", USERNAME="zoe")
    result = run_cli(tmp_path, "play", "--db", str(db), "--runner", "off", stdin="q\n", env=env)
    assert_clean(result)
    assert query(db, "SELECT display_name FROM users") == [("zoe",)]


def command_args(db: Path) -> list[str]:
    return ["play", "--mode", "challenge", "--user", "ann", "--db", str(db), "--runner", "off"]
