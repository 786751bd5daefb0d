"""Admission: job slots shared fairly between clients, with a bounded wait queue.

A plain semaphore serves waiters first come, first served, so two clients that keep
sending 30 s jobs hold every slot forever while everyone else waits. Here a freed slot
goes to the waiting client with the fewest jobs running (ties: the one served least
recently), so a newcomer waits at most for the shortest running job. Slots are never left
idle while anyone waits (one busy client alone still gets them all), and no client may
fill more than its share of the wait queue.
"""

from __future__ import annotations

import asyncio
import collections


class QueueFull(Exception):
    """The wait queue (or this client's share of it) is full."""


class FairSlots:
    def __init__(self, slots: int, max_queue: int, per_client_queue: int | None = None) -> None:
        self.slots = slots
        self.free = slots
        self.max_queue = max_queue
        self.per_client_queue = per_client_queue or max(1, (3 * max_queue) // 4)
        self.running: collections.Counter[str] = collections.Counter()
        self.grants = 0
        self.last_served: dict[str, int] = {}  # only clients with jobs running or waiting
        # clients with waiters, oldest first; each client's waiters in arrival order
        self.waiting: dict[str, collections.deque[asyncio.Future[None]]] = {}

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self.waiting.values())

    async def acquire(self, client: str) -> None:
        """Wait for a slot; QueueFull at once when the queue has no room for this client."""
        if self.free > 0 and not self.waiting:
            self._grant_to(client)
            return
        queue = self.waiting.get(client)
        if self.queued >= self.max_queue or (queue and len(queue) >= self.per_client_queue):
            raise QueueFull
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.setdefault(client, collections.deque()).append(future)
        self._dispatch()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release(client)  # granted just as we were cancelled: hand it on
            else:
                self._forget(client, future)
            raise

    def release(self, client: str) -> None:
        self.running[client] -= 1
        if self.running[client] <= 0:
            del self.running[client]
            if client not in self.waiting:
                self.last_served.pop(client, None)
        self.free += 1
        self._dispatch()

    def _grant_to(self, client: str) -> None:
        self.free -= 1
        self.running[client] += 1
        self.grants += 1
        self.last_served[client] = self.grants

    def _dispatch(self) -> None:
        while self.free > 0 and self.waiting:
            client = min(self.waiting, key=lambda c: (self.running[c], self.last_served.get(c, 0)))
            queue = self.waiting[client]
            future = queue.popleft()
            if not queue:
                del self.waiting[client]
            if future.done():
                continue
            self._grant_to(client)
            future.set_result(None)

    def _forget(self, client: str, future: asyncio.Future[None]) -> None:
        queue = self.waiting.get(client)
        if queue is not None and future in queue:
            queue.remove(future)
            if not queue:
                del self.waiting[client]
                if client not in self.running:
                    self.last_served.pop(client, None)
