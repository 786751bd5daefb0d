"""lrquiz in a real terminal: a tmux pane of a fixed size, read as the player sees it.

Each Pane runs its own tmux server (a socket in the test's temp folder), so tests never
share or touch anyone's tmux. The command's exit status is printed as `EXIT=n` when it
ends, and the pane stays open for reading.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .support import command

TOOLBAR_TIME = re.compile(r"⏱ (\d+):(\d\d) remaining")


def need_tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux)")
    return found


class Pane:
    def __init__(
        self, tmp: Path, *args: str, env: dict[str, str], width: int = 80, height: int = 24
    ) -> None:
        self.tmux = need_tmux()
        self.socket = str(tmp / f"tmux-{time.monotonic_ns()}.sock")
        # The shell traps SIGINT (a Ctrl-C also reaches it) so the pane stays open to read;
        # a trapped signal is reset to the default in lrquiz, unlike an ignored one.
        shell = f"trap : INT; {shlex.join(command(*args))}; echo EXIT=$?; sleep 600"
        subprocess.run(
            [self.tmux, "-S", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", "p",
             "-x", str(width), "-y", str(height), "sh", "-c", shell],
            check=True, env=env, cwd=tmp,
        )  # fmt: skip

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-S", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self) -> str:
        """The visible window, as on the player's screen."""
        return self._tmux("capture-pane", "-p", "-t", "p")

    def history(self) -> str:
        """Everything printed so far, scrolled off or not."""
        return self._tmux("capture-pane", "-p", "-t", "p", "-S", "-5000")

    def type(self, text: str, enter: bool = True) -> None:
        if text:
            self._tmux("send-keys", "-t", "p", "-l", text)
        if enter:
            self._tmux("send-keys", "-t", "p", "Enter")

    def key(self, name: str) -> None:
        self._tmux("send-keys", "-t", "p", name)

    def wait_for(self, text: str, timeout: float = 20, where: str = "screen") -> str:
        """Wait until `text` is on the screen (or in the history); that text."""
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen() if where == "screen" else self.history()
            if text in shown:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared; the {where}:\n{shown}")
            time.sleep(0.1)

    def last_line(self) -> str:
        """The lowest line with something on it: where the prompt waits."""
        lines = [line for line in self.screen().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def page_through(self, more: str, timeout: float = 20) -> None:
        """Press Enter at every "more" prompt until the text has been shown to its end."""
        deadline = time.monotonic() + timeout
        time.sleep(0.3)
        while self.last_line().startswith(more):
            assert time.monotonic() < deadline, self.screen()
            self.type("")
            time.sleep(0.4)

    def seconds_left(self) -> int:
        """The countdown as the toolbar shows it now."""
        deadline = time.monotonic() + 3
        while (found := TOOLBAR_TIME.search(self.screen())) is None:
            assert time.monotonic() < deadline, self.screen()  # caught mid-redraw: look again
            time.sleep(0.1)
        return int(found.group(1)) * 60 + int(found.group(2))

    def exit_code(self, timeout: float = 20) -> int:
        shown = self.wait_for("EXIT=", timeout, where="history")
        found = re.search(r"EXIT=(\d+)", shown)
        assert found is not None
        return int(found.group(1))

    def close(self) -> None:
        subprocess.run([self.tmux, "-S", self.socket, "kill-server"], capture_output=True)
