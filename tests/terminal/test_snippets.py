"""Edit & run in the terminal: `e` under a reveal in piped play, and `lrquiz run-snippet`."""

from __future__ import annotations

import copy
import hashlib
import time
from pathlib import Path

from .support import TRACEBACK, cli_env, query, run_cli, shipped_data, write_pack
from .tty import Pane, need_tmux


def code_problem_pack(tmp: Path) -> tuple[Path, dict]:
    """A pack of one predict-output problem, so piped answers land where they should."""
    problem = copy.deepcopy(
        next(p for p in shipped_data()["problems"] if p["kind"] == "predict-output")
    )
    return write_pack(tmp / "code.yaml", "code-pack", [problem], "Code"), problem


def sha(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def test_e_under_a_piped_reveal_runs_the_code_that_follows(tmp_path: Path) -> None:
    pack, problem = code_problem_pack(tmp_path)
    db = tmp_path / "q.db"
    edited = "import torch\nprint('edited', torch.zeros(1))\n"
    stdin = f"{problem['answer']}\ne\n{edited}.\n"
    result = run_cli(
        tmp_path, "play", "--mode", "practice", "--packs", str(pack), "--db", str(db),
        "--user", "ann", "--runner", "off", stdin=stdin,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert TRACEBACK not in result.stdout + result.stderr
    out = result.stdout
    assert "Score: 1/1 correct" in out
    verdict = out.index("▶ Your edit of")
    assert out.index("Real output unavailable") < verdict  # the reveal first, then the run
    assert "Your run did not happen: no runner is configured here" in out[verdict:]
    assert query(db, "SELECT user_id, source, code_sha256, status FROM snippet_runs") == [
        ("ann", f"problem:{problem['id']}", sha(edited), "unavailable")
    ]


def test_a_piped_play_without_e_is_unchanged(tmp_path: Path) -> None:
    pack, problem = code_problem_pack(tmp_path)
    result = run_cli(
        tmp_path, "play", "--mode", "practice", "--packs", str(pack), "--db",
        str(tmp_path / "q.db"), "--runner", "off", stdin=f"{problem['answer']}\n",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Score: 1/1 correct" in result.stdout and "Your edit" not in result.stdout


def test_run_snippet_from_stdin_through_a_real_runner(tmp_path: Path) -> None:
    """The CLI starts its own local runner, as `lrquiz play` does; exit 1 on an error."""
    db = tmp_path / "q.db"
    code = "import torch\nprint(torch.ones(2) * 3, '\\x1b[2J @everyone')\nraise KeyError('boom')\n"
    result = run_cli(tmp_path, "run-snippet", "-", "--db", str(db), "--user", "ann", stdin=code)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "Your run: ❌ raised an error in " in out and "PyTorch 2.13.0" in out
    assert "tensor([3., 3.]) \\x1b[2J @everyone" in out  # an escape code shown, not obeyed
    assert "\x1b" not in out
    assert "KeyError: 'boom'" in out
    assert query(db, "SELECT code_sha256, status FROM snippet_runs") == [(sha(code), "error")]


def test_run_snippet_says_why_it_cannot_run(tmp_path: Path) -> None:
    missing = run_cli(tmp_path, "run-snippet", "nope.py", "--db", str(tmp_path / "q.db"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == "lrquiz: error: nope.py: No such file or directory"
    assert not (tmp_path / "q.db").exists()  # nothing opened for a bad file
    (tmp_path / "fine.py").write_text("print(1)\n")
    off = run_cli(tmp_path, "run-snippet", "fine.py", "--runner", "off")
    assert off.returncode == 2
    assert "Your run did not happen: no runner is configured here" in off.stdout
    big = run_cli(tmp_path, "run-snippet", "-", "--runner", "off", stdin="x = 1\n" * 700)
    assert big.returncode == 2 and "4,200 characters" in big.stdout


def test_e_on_a_terminal_opens_the_editor_and_runs_what_it_saved(tmp_path: Path) -> None:
    """A real 80x24 terminal (tmux); the "editor" is sed, appending a line to the file."""
    need_tmux()
    pack, problem = code_problem_pack(tmp_path)
    db = tmp_path / "q.db"
    env = cli_env(tmp_path, EDITOR="sed -i '$a print(42)'")
    pane = Pane(tmp_path, "play", "--mode", "practice", "--packs", str(pack), "--user", "ann",
                "--db", str(db), "--runner", "off", env=env)  # fmt: skip
    try:
        pane.wait_for("q quit")
        pane.type(problem["answer"])
        deadline = time.monotonic() + 20
        while "e edit & run" not in pane.last_line():  # past any "more" pages of the reveal
            assert time.monotonic() < deadline, pane.screen()
            if pane.last_line().startswith("── more"):
                pane.type("")
            time.sleep(0.3)
        pane.type("e")
        pane.wait_for("Your run did not happen", where="history")
        pane.wait_for("e edit & run")
        pane.type("")
        assert pane.exit_code() == 0
        assert TRACEBACK not in pane.history()
    finally:
        pane.close()
    expected = problem["code"].rstrip("\n") + "\nprint(42)\n"
    assert query(db, "SELECT code_sha256 FROM snippet_runs") == [(sha(expected),)]
