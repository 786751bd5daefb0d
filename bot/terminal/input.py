"""Line input with a deadline, from a terminal or a pipe."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
from typing import TextIO


class LineReader:
    """Reads stdin on a daemon thread so a question's deadline can interrupt the wait.

    Lines queue up in order, so nothing typed while a timer fires is lost, and the daemon
    thread never keeps the program alive after the game ends.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._queue: asyncio.Queue[str | None] | None = None

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

    async def readline(self, timeout: float | None = None) -> str | None:
        """The next line without its newline; None at end of input; TimeoutError on deadline."""
        if self._queue is None:
            self._queue = self._start()
        line = await asyncio.wait_for(self._queue.get(), timeout)
        if line is None:
            self._queue.put_nowait(None)  # stay at end of input for later calls
        return line
