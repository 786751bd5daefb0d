"""Connection limits aiohttp does not have: a cap on connections and a request-head deadline.

aiohttp waits forever for a request's headers, so a thousand half-sent requests held open
exhaust the server's file descriptors. ``GuardedFactory`` wraps aiohttp's protocol
factory: a connection must deliver a complete request head within ``head_timeout_s`` of
connecting (or of the first byte of its next request), and at the connection cap a new
connection evicts the oldest one that is not inside a request (a slow or idle one), so
an attacker's stalled connections cannot lock real clients out. Body read deadlines are
the handler's (``asyncio.wait_for`` around the read).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from typing import Any


class Guard(asyncio.Protocol):
    """Sits between the transport and aiohttp's RequestHandler, forwarding everything."""

    def __init__(self, factory: GuardedFactory, inner: asyncio.Protocol) -> None:
        self.factory = factory
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.in_request = 0
        self.connected = False  # aiohttp saw connection_made, so it must see connection_lost

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.factory.admit(self):
            transport.abort()
            return
        self._arm()
        self.connected = True
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.in_request and self.timer is None:
            self._arm()  # the first byte of a new request starts its head deadline
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.factory.forget(self)
        if self.connected:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # -- requests -----------------------------------------------------------------------
    def request_started(self) -> None:
        self.in_request += 1
        self._disarm()

    def request_finished(self) -> None:
        self.in_request -= 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _arm(self) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.factory.head_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _head_timed_out(self) -> None:
        self.timer = None
        if not self.in_request:
            self.close()


class GuardedFactory:
    """A protocol factory for ``loop.create_server`` around aiohttp's ``web.Server``."""

    def __init__(
        self, inner: Callable[[], Any] | None, max_connections: int, head_timeout_s: float
    ) -> None:
        self.inner = inner
        self.max_connections = max_connections
        self.head_timeout_s = head_timeout_s
        self.guards: collections.OrderedDict[int, Guard] = collections.OrderedDict()
        self.by_transport: dict[int, Guard] = {}
        self.evicted = 0

    def __call__(self) -> Guard:
        assert self.inner is not None, "listen() sets aiohttp's factory"
        return Guard(self, self.inner())

    def admit(self, guard: Guard) -> bool:
        if len(self.guards) >= self.max_connections:
            victim = next((g for g in self.guards.values() if not g.in_request), None)
            if victim is None:
                return False  # every connection is inside a request: refuse the newcomer
            self.evicted += 1
            self.forget(victim)
            victim.close()
        self.guards[id(guard)] = guard
        assert guard.transport is not None
        self.by_transport[id(guard.transport)] = guard
        return True

    def forget(self, guard: Guard) -> None:
        if self.guards.pop(id(guard), None) is not None:
            self.by_transport.pop(id(guard.transport), None)

    def guard_for(self, transport: Any) -> Guard | None:
        return self.by_transport.get(id(transport))
