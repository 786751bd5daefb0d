"""learn, practice and test modes as a player sees them in the terminal."""

from __future__ import annotations

from pathlib import Path

from bot.engine.modes import RULES
from problems.model import DIFFICULTIES, Pack

from .support import assert_clean, drive, play, problem_in, query, question_blocks, wrong_letters


def answer_all_live(tmp_path: Path, db: Path, pack: Pack, mode: str, correct: bool = True):
    """Play a whole run of `mode`, reading each question before answering it."""
    played = drive(
        tmp_path,
        db,
        lambda n, p: [p.answer if correct else wrong_letters(p)[0]],
        mode=mode,
        pack=pack,
    )
    assert played.total == RULES[mode].question_count
    return played.code, played.stdout, played.stderr, played.asked


def test_learn_shows_the_pack_summary_before_question_one(tmp_path: Path, db: Path, pack: Pack):
    result = play(tmp_path, db, ["q"], mode="learn")
    assert_clean(result)
    out = result.stdout
    first_line = pack.summary.strip().splitlines()[0]
    assert first_line in out
    assert f"📘 {pack.title}" in out
    assert out.index(first_line) < out.index("Question 1/5")
    assert "Learn ended early" in out


def test_learn_run_is_untimed_and_unscored(tmp_path: Path, db: Path, pack: Pack):
    code, out, err, asked = answer_all_live(tmp_path, db, pack, "learn")
    assert code == 0, err
    assert len({p.id for p in asked}) == 5
    assert out.count("✅ Correct!") == 5
    assert "Learn finished" in out
    assert "remaining" not in out
    assert "Points:" not in out
    assert all("+" not in line for line in out.splitlines() if line.startswith("✅"))
    assert query(db, "SELECT sum(points), sum(correct) FROM scores") == [(0, 5)]


def test_practice_has_no_timer_and_awards_no_points(tmp_path: Path, db: Path, pack: Pack):
    code, out, err, asked = answer_all_live(tmp_path, db, pack, "practice")
    assert code == 0, err
    assert "Traceback" not in out + err
    assert "remaining" not in out
    assert "⏱" not in out
    assert out.count("✅ Correct!") == 5
    assert all("+" not in line for line in out.splitlines() if line.startswith("✅"))
    assert "Score: 5/5" in out
    assert "Points:" not in out
    assert "Badge earned" not in out
    # Practice draws from the practice pool, easiest first, one attempt each.
    ranks = [DIFFICULTIES.index(p.difficulty) for p in asked]
    assert ranks == sorted(ranks)
    assert "1 attempt left" in out
    rows = query(db, "SELECT points, correct, ranked FROM scores")
    assert len(rows) == 5
    assert all(points == 0 and correct == 1 for points, correct, _ in rows)
    assert query(db, "SELECT deadline FROM questions WHERE deadline IS NOT NULL") == []


def test_practice_one_wrong_answer_closes_the_question(tmp_path: Path, db: Path, pack: Pack):
    code, out, err, _ = answer_all_live(tmp_path, db, pack, "practice", correct=False)
    assert code == 0, err
    assert out.count("❌ Not this time.") == 5
    assert "is not it" not in out
    assert "Score: 0/5" in out


def test_test_mode_asks_ten_questions_easy_to_hard(tmp_path: Path, db: Path, pack: Pack):
    result = play(tmp_path, db, ["a"] * 10, mode="test")
    assert_clean(result)
    out = result.stdout
    blocks = question_blocks(out)
    assert len(blocks) == 10
    assert [b.split(" ·")[0] for b in blocks] == [f"Question {n}/10" for n in range(1, 11)]
    asked = [problem_in(block, pack) for block in blocks]
    assert len({p.id for p in asked}) == 10
    ranks = [DIFFICULTIES.index(p.difficulty) for p in asked]
    assert ranks == sorted(ranks), [p.difficulty for p in asked]
    assert ranks[0] == 0 and ranks[-1] == len(DIFFICULTIES) - 1
    # One attempt each, timed, no hints offered.
    assert "is not it" not in out
    assert out.count("⏱ 2:00 remaining · 1 attempt left") == 10
    assert "h hint" not in out
    assert "Test finished" in out
    correct = sum(p.answer == "A" for p in asked)
    assert f"Score: {correct}/10" in out
    assert "Points:" in out
    assert query(db, "SELECT count(*) FROM scores") == [(10,)]


def test_test_mode_refuses_hints_without_using_the_attempt(tmp_path: Path, db: Path):
    result = play(tmp_path, db, ["h", "a", "q"], mode="test")
    assert_clean(result)
    out = result.stdout
    assert "Hints are not available in test mode." in out
    assert "💡" not in out
    assert "Question 2/10" in out  # the letter after the refusal still answered question 1
    assert query(db, "SELECT count(*) FROM hints") == [(0,)]
    assert query(db, "SELECT count(*) FROM attempts") == [(1,)]


def test_challenge_status_line_offers_hints(tmp_path: Path, db: Path):
    result = play(tmp_path, db, ["q"])
    assert_clean(result)
    assert "⏱ 2:00 remaining · 2 attempts left · A-D answer · h hint · q quit" in (result.stdout)
