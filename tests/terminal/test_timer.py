"""The question timer end to end, with a pack whose first problem allows one second."""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest

from .support import LiveCli, assert_clean, play, query, shipped_data, write_pack

PACK_ID = "timer-pack"


@pytest.fixture
def timer_pack(tmp_path: Path) -> tuple[Path, list[dict]]:
    """Two challenge problems copied from the shipped pack; the first closes after 1 s.

    The first is an intermediate one and the second a later level with another key, so the
    first one's answer typed late is a wrong answer to the second.
    """
    problems = shipped_data()["problems"]
    fast = next(p for p in problems if p.get("level") == "intermediate")
    slow = next(
        p
        for p in problems
        if p.get("level") in ("advanced", "expert") and p["answer"] != fast["answer"]
    )
    fast = {**copy.deepcopy(fast), "time_limit_s": 1}
    slow = {**copy.deepcopy(slow), "time_limit_s": 120}
    path = write_pack(tmp_path / "timer.yaml", PACK_ID, [fast, slow], "Timer pack")
    return path, [fast, slow]


def play_args(db: Path, pack_path: Path) -> list[str]:
    return [
        "play", "--mode", "challenge", "--user", "ann", "--db", str(db), "--runner", "off",
        "--packs", str(pack_path), "--pack", PACK_ID,
    ]  # fmt: skip


def test_times_up_reveals_then_moves_on_and_a_late_answer_does_not_count(
    tmp_path: Path, db: Path, timer_pack: tuple[Path, list[dict]]
):
    path, (fast, _slow) = timer_pack
    live = LiveCli(tmp_path, *play_args(db, path))
    try:
        asked = live.expect("Question 1/2")
        live.expect("⏱ 0:01 remaining", asked)
        shown = time.monotonic()
        timed_out = live.expect("⏰ Time's up!", asked, timeout=10)
        waited = time.monotonic() - shown
        assert waited < 8, f"the 1 s timer took {waited:.1f} s"
        after = live.expect("Question 2/2", timed_out)
        reveal = live.stdout[timed_out:after]
        assert f"Answer: {fast['answer']}." in reveal
        assert "Solution" in reveal
        assert "Final answer:" in reveal
        live.expect("q quit\n", after)

        # The first question's right answer, typed after its deadline, lands on question 2
        # (where it is wrong) and never on question 1.
        live.send(fast["answer"])
        live.expect("is not it. 1 attempt left.", after)
        live.close_stdin()
        assert live.wait() == 0
    finally:
        live.kill()
    out = live.stdout
    assert "Traceback" not in out + live.stderr
    assert "✅" not in out
    assert "Challenge ended early · Timer pack" in out
    assert "Score: 0/2" in out
    assert query(db, "SELECT idx, outcome, points FROM questions ORDER BY idx") == [
        (0, "expired", 0),
        (1, "skipped", 0),
    ]
    assert query(db, "SELECT idx, choice FROM attempts") == [(1, fast["answer"])]
    assert query(db, "SELECT idx, correct, points FROM scores ORDER BY idx") == [(0, 0, 0)]


def test_piped_answer_before_the_deadline_counts(
    tmp_path: Path, db: Path, timer_pack: tuple[Path, list[dict]]
):
    path, (fast, slow) = timer_pack
    result = play(tmp_path, db, [fast["answer"], slow["answer"]], "--packs", str(path),
                  "--pack", PACK_ID)  # fmt: skip
    assert_clean(result)
    assert "Time's up" not in result.stdout
    assert "Score: 2/2" in result.stdout
    assert "Challenge finished · Timer pack" in result.stdout


def test_hint_then_silence_still_times_out(
    tmp_path: Path, db: Path, timer_pack: tuple[Path, list[dict]]
):
    path, _ = timer_pack
    live = LiveCli(tmp_path, *play_args(db, path))
    try:
        live.expect("q quit\n")
        live.send("h")
        hinted = live.expect("💡 Hint:")
        live.expect("⏰ Time's up!", hinted, timeout=10)
        live.expect("Question 2/2", hinted)
        live.send("q")
        assert live.wait() == 0
    finally:
        live.kill()
    assert query(db, "SELECT outcome, hint_used FROM questions WHERE idx = 0") == [("expired", 1)]
