"""Line input with a deadline: prompt_toolkit on a terminal, a reader thread on a pipe.

On a terminal the prompt keeps a toolbar under it that is redrawn twice a second, so the
countdown ticks while the player thinks (also after a hint or a wrong answer), and the
prompt is closed when the question's time is up. On a pipe nothing is redrawn: lines are
read as they come, so a script can play.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
from collections.abc import Callable
from typing import Protocol, TextIO

Toolbar = Callable[[], object]  # prompt_toolkit formatted text, recomputed at every redraw
TICK_S = 0.5


class Reader(Protocol):
    interactive: bool

    async def read(
        self, message: str = "", deadline: float | None = None, toolbar: Toolbar | None = None
    ) -> str | None:
        """The next line without its newline; None at end of input; TimeoutError once
        `deadline` (a time.time() moment) passes."""
        ...


class LineReader:
    """Reads stdin on a daemon thread so a question's deadline can interrupt the wait.

    Lines queue up in order, so nothing typed while a timer fires is lost, and the daemon
    thread never keeps the program alive after the game ends.
    """

    interactive = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._queue: asyncio.Queue[str | None] | None = None
        self._next: list[str | None] = []  # a line looked at by take_if and kept

    def _start(self) -> asyncio.Queue[str | None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def pump() -> None:
            try:
                for line in self._stream:
                    loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
            except (OSError, ValueError):
                pass
            finally:
                # RuntimeError: the loop already closed, so nobody is listening.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(queue.put_nowait, None)

        threading.Thread(target=pump, name="stdin-reader", daemon=True).start()
        return queue

    async def read(
        self, message: str = "", deadline: float | None = None, toolbar: Toolbar | None = None
    ) -> str | None:
        if self._next:
            return self._next.pop(0) if self._next[0] is not None else None
        if self._queue is None:
            self._queue = self._start()
        timeout = None if deadline is None else max(0.0, deadline - time.time())
        line = await asyncio.wait_for(self._queue.get(), timeout)
        if line is None:
            self._queue.put_nowait(None)  # stay at end of input for later calls
        return line

    async def take_if(self, wanted: Callable[[str], bool], wait_s: float) -> str | None:
        """The next line if it is already there (or arrives within `wait_s`) and is
        `wanted`; otherwise None, and the line stays for the next `read`. A script that
        pipes everything at once can so add optional lines (an `e` under a reveal) without
        one that feeds a line at a time having to."""
        if not self._next:
            try:
                self._next.append(await self.read(deadline=time.time() + wait_s))
            except TimeoutError:
                return None
        line = self._next[0]
        if line is not None and wanted(line):
            self._next.pop(0)
            return line
        return None


class TtyReader:
    """A prompt_toolkit prompt with a live toolbar; Ctrl-C raises KeyboardInterrupt."""

    interactive = True

    async def read(
        self, message: str = "", deadline: float | None = None, toolbar: Toolbar | None = None
    ) -> str | None:
        if deadline is not None and deadline <= time.time():
            raise TimeoutError
        from prompt_toolkit import PromptSession

        # A session per line: a session keeps the last toolbar for every later prompt.
        session: PromptSession[str] = PromptSession(
            bottom_toolbar=toolbar, refresh_interval=TICK_S if toolbar is not None else None
        )
        loop = asyncio.get_running_loop()
        timer: asyncio.TimerHandle | None = None
        app = session.app

        def time_up() -> None:
            nonlocal timer
            if app.is_running:
                app.exit(exception=TimeoutError())
            else:  # the prompt has not started yet: look again shortly
                timer = loop.call_later(0.05, time_up)

        if deadline is not None:
            timer = loop.call_later(max(0.0, deadline - time.time()), time_up)
        try:
            return await session.prompt_async(message)
        except EOFError:
            return None
        finally:
            if timer is not None:
                timer.cancel()
