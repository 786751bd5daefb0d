"""`lrquiz play` in a real 80×24 terminal (tmux): the countdown ticks, the time-out fires
by itself, the reveal keeps its verdict on screen, learn waits, q in a daily asks, and
Ctrl-C leaves a run to resume."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import TRACEBACK, cli_env, query, shipped_data, write_pack
from .tty import Pane, need_tmux

PACK = "tty-pack"
NEXT_PROMPT = "Enter ▶ next question"
MORE_PROMPT = "── more: Enter"


@pytest.fixture(autouse=True)
def _tmux() -> None:
    need_tmux()


@pytest.fixture
def panes(tmp_path: Path) -> Iterator[list[Pane]]:
    opened: list[Pane] = []
    yield opened
    for pane in opened:
        pane.close()


def longest_reveal(problems: list[dict]) -> dict:
    def size(p: dict) -> int:
        s = p["solution"]
        parts = [*s["steps"], s["final"], s.get("quick_check", ""), *s.get("common_mistakes", [])]
        return sum(len(x) for x in parts)

    return max((p for p in problems if not p.get("code")), key=size)


def tty_pack(tmp: Path, time_limit: int = 120, count: int = 2) -> tuple[Path, list[dict]]:
    """`count` code-free problems, the first with the longest reveal in the shipped pack."""
    problems = [p for p in shipped_data()["problems"] if p.get("level")]
    first = longest_reveal(problems)
    rest = [p for p in problems if p["id"] != first["id"] and not p.get("code")]
    chosen = [copy.deepcopy(p) for p in [first, *rest][:count]]
    for problem in chosen:
        problem["time_limit_s"] = time_limit
    return write_pack(tmp / "tty.yaml", PACK, chosen, "TTY pack"), chosen


def start(tmp: Path, panes: list[Pane], db: Path, *args: str, pack: Path | None = None) -> Pane:
    packs = ["--packs", str(pack), "--pack", PACK] if pack is not None else []
    pane = Pane(tmp, "play", "--user", "ann", "--db", str(db), "--runner", "off", *packs,
                *args, env=cli_env(tmp))  # fmt: skip
    panes.append(pane)
    return pane


def shown_problem(pane: Pane, problems: list[dict]) -> dict:
    """The problem on screen, once its question is drawn and the prompt waits."""
    deadline = time.monotonic() + 15
    while True:
        screen = " ".join(pane.screen().split())
        found = [p for p in problems if " ".join(p["prompt"].split()) in screen]
        if len(found) == 1 and "q quit" in screen:
            return found[0]
        assert time.monotonic() < deadline, pane.screen()
        time.sleep(0.2)


def wrong(problem: dict) -> str:
    return next(letter for letter in problem["choices"] if letter != problem["answer"])


def assert_ticks(pane: Pane) -> None:
    before = pane.seconds_left()
    time.sleep(2.2)
    after = pane.seconds_left()
    assert 1 <= before - after <= 4, (before, after)


def test_the_countdown_ticks_also_after_a_hint_and_a_wrong_answer(
    tmp_path: Path, db: Path, panes: list[Pane]
):
    path, problems = tty_pack(tmp_path)
    pane = start(tmp_path, panes, db, "--mode", "challenge", pack=path)
    pane.wait_for("remaining")
    assert pane.seconds_left() <= 120
    assert_ticks(pane)
    problem = shown_problem(pane, problems)
    pane.type("h")
    pane.wait_for("💡 Hint")
    assert_ticks(pane)
    pane.type(wrong(problem))
    pane.wait_for("1 attempt left")
    assert "is not it" in pane.screen()
    assert_ticks(pane)
    pane.type(problem["answer"])
    pane.wait_for("✅ Correct!")
    assert TRACEBACK not in pane.history()


def test_time_up_closes_the_question_without_any_key(tmp_path: Path, db: Path, panes: list[Pane]):
    path, _ = tty_pack(tmp_path, time_limit=3, count=1)
    pane = start(tmp_path, panes, db, "--mode", "challenge", pack=path)
    pane.wait_for("remaining")
    shown = time.monotonic()
    pane.wait_for("⏰ Time's up!", timeout=15)
    assert time.monotonic() - shown < 10
    pane.page_through(MORE_PROMPT)
    pane.wait_for("Score: 0/1", where="history")
    assert pane.exit_code() == 0
    assert query(db, "SELECT outcome FROM questions") == [("expired",)]


def test_the_reveal_keeps_its_verdict_on_an_80x24_screen(
    tmp_path: Path, db: Path, panes: list[Pane]
):
    path, problems = tty_pack(tmp_path)
    pane = start(tmp_path, panes, db, "--mode", "practice", pack=path)
    pane.wait_for("q quit")
    problem = shown_problem(pane, problems)
    pane.type(problem["answer"])
    screen = pane.wait_for("✅ Correct!")
    assert "Answer:" in screen
    deadline = time.monotonic() + 10
    while MORE_PROMPT not in screen and NEXT_PROMPT not in screen:
        assert time.monotonic() < deadline, screen
        screen = pane.screen()
    assert "✅ Correct!" in screen  # the verdict and the prompt are on screen together
    pane.page_through(MORE_PROMPT)
    assert "Common mistakes" in pane.history()
    pane.wait_for(NEXT_PROMPT)
    pane.type("")
    pane.wait_for("Question 2/2")


def test_learn_waits_for_enter_after_the_summary(tmp_path: Path, db: Path, panes: list[Pane]):
    pane = start(tmp_path, panes, db, "--mode", "learn")
    pane.wait_for("📘")
    deadline = time.monotonic() + 20
    while "Press Enter to start question 1" not in pane.last_line():
        assert time.monotonic() < deadline, pane.screen()
        pane.page_through(MORE_PROMPT)
    time.sleep(1.5)
    assert "Question 1/" not in pane.screen()
    pane.type("")
    # A long question may page, or scroll its header off an 80x24 screen.
    pane.wait_for("Question 1/5", where="history")


def test_q_in_a_daily_asks_before_giving_up_the_day(tmp_path: Path, db: Path, panes: list[Pane]):
    pane = start(tmp_path, panes, db, "--daily")
    pane.wait_for("q quit")
    pane.type("q")
    pane.wait_for("Give up today's daily challenge?")
    pane.type("n")
    time.sleep(1)
    assert "ended early" not in pane.history()
    assert query(db, "SELECT finished_at FROM sessions") == [(None,)]
    pane.type("q")
    time.sleep(0.5)
    pane.type("y")
    pane.wait_for("Challenge ended early", where="history")
    assert pane.exit_code() == 0


def test_ctrl_c_leaves_the_run_and_play_offers_to_resume_it(
    tmp_path: Path, db: Path, panes: list[Pane]
):
    path, problems = tty_pack(tmp_path)
    pane = start(tmp_path, panes, db, "--mode", "practice", pack=path)
    pane.wait_for("q quit")
    pane.type(shown_problem(pane, problems)["answer"])
    pane.page_through(MORE_PROMPT)
    pane.wait_for(NEXT_PROMPT)
    pane.type("")
    pane.wait_for("Question 2/2")
    pane.wait_for("q quit")  # the prompt is up
    pane.key("C-c")
    assert pane.exit_code() == 130
    history = pane.history()
    assert TRACEBACK not in history and "KeyboardInterrupt" not in history
    assert "continue it with: lrquiz play --resume" in history

    again = start(tmp_path, panes, db, "--mode", "practice", pack=path)
    again.wait_for("unfinished practice run (question 2 of 2). Resume it? [Y/n]")
    again.type("")
    again.wait_for("Question 2/2")
    assert "Question 1/2" not in again.history()
    again.type(shown_problem(again, problems)["answer"])
    again.page_through(MORE_PROMPT)
    again.wait_for("Practice finished", where="history")
    assert again.exit_code() == 0
    assert query(db, "SELECT count(*), count(finished_at) FROM sessions") == [(1, 1)]
