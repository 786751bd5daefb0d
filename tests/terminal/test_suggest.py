"""`lrquiz suggest` and `lrquiz play --mode suggested`, as real subprocesses on one file."""

from __future__ import annotations

import re
from pathlib import Path

from .support import assert_clean, play, query, run_cli


def test_suggest_lists_today_s_set_and_play_suggested_plays_it_once(tmp_path: Path) -> None:
    db = tmp_path / "quiz.db"
    assert_clean(play(tmp_path, db, ["a"] * 10, mode="test"))  # some history to learn from
    listed = run_cli(tmp_path, "suggest", "--user", "ann", "--db", str(db))
    assert_clean(listed)
    assert "🎯 Today's suggestions for you (" in listed.stdout
    assert len(re.findall(r"predicted\)", listed.stdout)) == 3
    assert "Start them with: lrquiz play --mode suggested" in listed.stdout
    [(items,)] = query(db, "SELECT items FROM daily_suggestions")

    played = play(tmp_path, db, ["a", "", "a", "", "a", ""], mode="suggested")
    assert_clean(played)
    assert "Today's suggestions for you" in played.stdout
    assert "Question 1 of 3" in played.stdout or "1/3" in played.stdout
    [(session_id,)] = query(db, "SELECT session_id FROM daily_suggestions")
    asked = [
        pid
        for (pid,) in query(
            db, "SELECT problem_id FROM questions WHERE session_id = ? ORDER BY idx", session_id
        )
    ]
    assert asked == re.findall(r'"problem": "([^"]+)"', items)  # exactly the listed set

    done = run_cli(tmp_path, "suggest", "--user", "ann", "--db", str(db))
    assert_clean(done)
    assert "Done for today" in done.stdout
    again = play(tmp_path, db, ["a"], mode="suggested")
    assert "already did today's suggestions" in again.stdout + again.stderr
