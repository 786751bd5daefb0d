"""Drive the real `lrquiz` console program as a subprocess and read what a player sees.

Everything runs as `python -m bot ...` (the console script's entry point) with
HOME/XDG_DATA_HOME pointed into a temp folder and every LRQUIZ_* variable removed, so no
test touches the developer's data or picks up their runner. `run_cli` pipes all of stdin
at once; `LiveCli` keeps stdin open and waits for output, for the timer tests and for
answering questions whose order is random.
"""

from __future__ import annotations

import codecs
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from problems.loader import DEFAULT_PACK_ID, default_pack, shipped_pack_paths
from problems.model import Pack, Problem

REPO = Path(__file__).resolve().parents[2]
RULE = "─" * 80  # a rule across the width rich gives a pipe
HELP = "Type A, B, C or D to answer, h for a hint, q to quit."
TRACEBACK = "Traceback (most recent call last)"
# CPython interrupted while importing `site`, before the first line of lrquiz runs.
BEFORE_PYTHON_STARTED = "Failed to import the site module"
RUN_TIMEOUT_S = 60


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment of one lrquiz run: private HOME/XDG, no inherited LRQUIZ_* settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LRQUIZ_") and k not in ("COLUMNS", "LINES")
    }
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(
        HOME=str(tmp / "home"),
        XDG_DATA_HOME=str(tmp / "xdg"),
        PYTHONPATH=path,
        PYTHONUTF8="1",
        PYTHONIOENCODING="utf-8",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


def run_cli(
    tmp: Path,
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    timeout: float = RUN_TIMEOUT_S,
) -> subprocess.CompletedProcess[str]:
    """Run lrquiz to completion with `stdin` piped in; cwd is `tmp`."""
    return subprocess.run(
        command(*args),
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        env=env if env is not None else cli_env(tmp),
        cwd=tmp,
        timeout=timeout,
    )


def play(
    tmp: Path,
    db: Path,
    lines: Sequence[str],
    *extra: str,
    mode: str = "challenge",
    user: str = "ann",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`lrquiz play` with --runner off and the given answer lines piped in."""
    stdin = "".join(f"{line}\n" for line in lines)
    args = ["play", "--mode", mode, "--user", user, "--db", str(db), "--runner", "off", *extra]
    return run_cli(tmp, *args, stdin=stdin, env=env)


def assert_clean(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    """Exit code as expected and no traceback anywhere."""
    both = result.stdout + result.stderr
    assert TRACEBACK not in both, both
    assert result.returncode == code, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


class LiveCli:
    """lrquiz with stdin kept open: send lines when the output asks for them."""

    def __init__(self, tmp: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            command(*args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env if env is not None else cli_env(tmp),
            cwd=tmp,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _pump(self, stream: Any, sink: list[str]) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        fd = stream.fileno()
        while True:
            chunk = os.read(fd, 4096)
            text = decoder.decode(chunk, final=not chunk)
            with self._cond:
                sink.append(text)
                self._cond.notify_all()
            if not chunk:
                return

    @property
    def stdout(self) -> str:
        with self._cond:
            return "".join(self._out)

    @property
    def stderr(self) -> str:
        with self._cond:
            return "".join(self._err)

    def expect(self, text: str, start: int = 0, timeout: float = 15) -> int:
        """Wait until `text` appears at or after `start`; the index just past it."""
        return self.expect_any([text], start, timeout)[1]

    def expect_any(
        self, texts: Sequence[str], start: int = 0, timeout: float = 15
    ) -> tuple[str, int]:
        """The first of `texts` to appear at or after `start`, and the index just past it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                out = "".join(self._out)
                hits = [(out.find(t, start), t) for t in texts if out.find(t, start) >= 0]
                if hits:
                    where, text = min(hits)
                    return text, where + len(text)
                left = deadline - time.monotonic()
                if left <= 0 or not self._alive():
                    err = "".join(self._err)
                    raise AssertionError(
                        f"none of {list(texts)!r} appeared; output so far:\n{out[start:]}\n{err}"
                    )
                self._cond.wait(min(left, 0.1))

    def _alive(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{line}\n".encode())
        self.proc.stdin.flush()

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    def wait(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout)
        for thread in self._threads:
            thread.join(5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# ---------------------------------------------------------------- reading the output


def question_blocks(output: str) -> list[str]:
    """The text from each 'Question N/M' header up to the next rule line."""
    blocks = []
    for part in output.split(RULE + "\n")[1:]:
        if part.startswith("Question "):
            blocks.append(part)
    return blocks


def flat(text: str) -> str:
    """Text with its wrapping undone: every run of whitespace one space."""
    return " ".join(text.split())


def problem_in(block: str, pack: Pack) -> Problem:
    """Which problem a question block shows, found by its (wrapped) prompt and its code."""
    found = [p for p in pack.problems if flat(p.prompt) in flat(block)]
    if len(found) > 1:
        found = [p for p in found if not p.code or code_block(p.code) in block]
    assert len(found) == 1, f"cannot tell the problem of:\n{block}"
    return found[0]


def code_block(code: str) -> str:
    return "\n".join(f"    │ {line}".rstrip() for line in code.rstrip("\n").splitlines())


def wrong_letters(problem: Problem) -> list[str]:
    return [letter for letter in problem.choices if letter != problem.answer]


# ---------------------------------------------------------------- playing live

# What to type for one question: its lines (which must close it or quit), or None for EOF.
Plan = Callable[[int, Problem], Sequence[str] | None]


@dataclass
class Played:
    code: int
    stdout: str
    stderr: str
    asked: list[Problem]
    total: int


def right(number: int, problem: Problem) -> list[str]:
    """A plan: answer every question correctly."""
    return [problem.answer]


def drive(
    tmp: Path,
    db: Path | None,
    plan: Plan = right,
    *extra: str,
    mode: str | None = None,
    user: str = "ann",
    pack: Pack | None = None,
    runner: str = "off",
    env: dict[str, str] | None = None,
    timeout: float = 15,
) -> Played:
    """Play one run live: read each question, look up its problem, type what `plan` says.

    Selection is random per run, so tests that need the right (or a wrong) answer read the
    question first instead of piping keys blind.
    """
    pack = pack or default_pack()
    where = ["--db", str(db)] if db is not None else []
    modes = ["--mode", mode] if mode is not None else []
    args = ["play", *modes, "--user", user, *where, "--runner", runner, *extra]
    live = LiveCli(tmp, *args, env=env)
    asked: list[Problem] = []
    total = 0
    try:
        position = live.expect("Question 1/", timeout=timeout)
        total = int(live.stdout[position:].split(" ", 1)[0])
        start = position
        for number in range(1, total + 1):
            end = live.expect("q quit\n", start, timeout)
            problem = problem_in(live.stdout[start:end], pack)
            asked.append(problem)
            lines = plan(number, problem)
            if lines is None:
                live.close_stdin()
                break
            for line in lines:
                live.send(line)
            nxt = f"Question {number + 1}/{total}"
            found, start = live.expect_any([nxt, "Score:"], end, timeout)
            if found == "Score:":
                break
        if not live.proc.stdin.closed:  # type: ignore[union-attr]
            live.close_stdin()
        code = live.wait(timeout * 2)
    finally:
        live.kill()
    return Played(code, live.stdout, live.stderr, asked, total)


def assert_played_clean(played: Played) -> None:
    both = played.stdout + played.stderr
    assert TRACEBACK not in both, both
    assert played.code == 0, f"exit {played.code}\n{played.stdout}\n{played.stderr}"


# ---------------------------------------------------------------- packs written for a test


def shipped_data() -> dict[str, Any]:
    """The shipped lr-differential pack as plain YAML data, to copy problems from."""
    [path] = [p for p in shipped_pack_paths() if p.stem == DEFAULT_PACK_ID]
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def write_pack(path: Path, pack_id: str, problems: list[dict[str, Any]], title: str) -> Path:
    data = shipped_data()
    pack = {**data, "id": pack_id, "title": title, "problems": problems}
    path.write_text(yaml.safe_dump(pack, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------- reading the database


def query(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def db_files(path: Path) -> dict[str, bytes | None]:
    """The bytes of a database and its -wal/-shm companions (None when absent)."""
    out: dict[str, bytes | None] = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        file = Path(f"{path}{suffix}")
        out[suffix or "main"] = file.read_bytes() if file.is_file() else None
    return out
