"""Slots shared between clients: a newcomer is served before busy clients' next jobs."""

from __future__ import annotations

import asyncio

import pytest

from runner.fairness import FairSlots, QueueFull


async def test_a_freed_slot_goes_to_the_client_with_fewest_running() -> None:
    slots = FairSlots(2, max_queue=16)
    order: list[str] = []
    release: dict[str, asyncio.Event] = {}

    async def job(client: str, name: str) -> None:
        await slots.acquire(client)
        order.append(name)
        release[name] = asyncio.Event()
        await release[name].wait()
        slots.release(client)

    tasks = [asyncio.create_task(job(c, f"{c}{i}")) for i in range(3) for c in "ab"]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(job("c", "c0")))
    await asyncio.sleep(0)
    assert order == ["a0", "b0"]  # two long jobs hold both slots; a, b and c wait
    release["a0"].set()
    await asyncio.sleep(0.01)
    assert order[-1] == "c0"  # the newcomer, not a's or b's next job
    release["b0"].set()
    await asyncio.sleep(0.01)
    release["c0"].set()
    await asyncio.sleep(0.01)
    assert order[3:] == ["a1", "b1"]
    for name in ("a1", "b1"):
        release[name].set()
    await asyncio.sleep(0.01)
    for name in ("a2", "b2"):
        release[name].set()
    await asyncio.gather(*tasks)
    assert slots.free == 2 and not slots.running and not slots.waiting


async def test_one_client_alone_uses_every_slot_but_not_the_whole_queue() -> None:
    slots = FairSlots(2, max_queue=4)
    await slots.acquire("bot")
    await slots.acquire("bot")  # nobody else waits: no slot stays idle
    waiters = [asyncio.create_task(slots.acquire("bot")) for _ in range(3)]
    await asyncio.sleep(0)
    with pytest.raises(QueueFull):
        await slots.acquire("bot")  # its share of the queue (3 of 4) is taken
    other = asyncio.create_task(slots.acquire("other"))
    await asyncio.sleep(0)
    slots.release("bot")
    await asyncio.sleep(0)
    assert other.done()  # fewest running goes first
    other_then_cancelled = asyncio.create_task(slots.acquire("late"))
    await asyncio.sleep(0)
    other_then_cancelled.cancel()
    for task in waiters:
        task.cancel()
    await asyncio.gather(*waiters, other_then_cancelled, return_exceptions=True)
    assert slots.queued == 0
