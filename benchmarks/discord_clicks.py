"""Discord interactions/s as a community's history grows, through discord.py's own dispatch.

    python benchmarks/discord_clicks.py [--interactions 10000] [--window 1000]

Each new player sends `/lrquiz challenge` and clicks the right answer (two interactions),
one interaction at a time, on a real SQLite file: the bot is the real `LrquizBot` logged in
against the fake Discord REST API of tests/discord (Route.BASE points at it) and each
INTERACTION_CREATE payload goes through `parse_interaction_create`, as from the gateway.
Throughput is printed per window of `--window` interactions, and the ratio of the last
window to the first (goal >= 0.8: flat as the database and the API's record grow).

It runs twice in one process: first with the fake API's request lookups by linear scan
over every request recorded so far (how tests/discord/fake_api.py found an interaction's
callback until this benchmark isolated it as the cause of a slowdown from ~400 to ~90/s),
then with the indexed lookups the fake API now has. The bot and database are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from discord.http import Route  # noqa: E402

from bot.engine.clock import FakeClock  # noqa: E402
from tests.discord.fake_api import APP_ID, Call, FakeDiscord  # noqa: E402
from tests.discord.support import Harness, User  # noqa: E402


class ScanningDiscord(FakeDiscord):
    """The fake API as it was: every lookup scans all requests recorded so far."""

    def callbacks(self, interaction_id: int) -> list[Call]:
        path = re.compile(rf"/interactions/{interaction_id}/[^/]+/callback$")
        return [c for c in self.calls if c.method == "POST" and path.match(c.path)]

    def for_token(self, token: str) -> list[Call]:
        return [c for c in self.calls if c.path.startswith(f"/webhooks/{APP_ID}/{token}")]


async def measure(api: FakeDiscord, interactions: int, window: int) -> list[float]:
    """Interactions/s in each window of `window` interactions."""
    base = Route.BASE
    await api.start()
    folder = Path(tempfile.mkdtemp(prefix="lrquiz-discord-bench-"))
    harness = await Harness.start(api, folder / "quiz.db", FakeClock(1_780_000_000.0))
    rates: list[float] = []
    try:
        done, player, started = 0, 0, time.perf_counter()
        while done < interactions:
            user = User(7_000_000_000_000_000_000 + player, f"P{player}")
            player += 1
            _, message = await harness.start_run(user, "challenge")
            problem = await harness.current_problem(message)
            await harness.click(user, message, problem.answer)
            done += 2
            if done % window == 0:
                now = time.perf_counter()
                rates.append(window / (now - started))
                started = now
    finally:
        await harness.close()
        await api.stop()
        Route.BASE = base
    return rates


def report(name: str, rates: list[float], window: int) -> float:
    print(f"\n{name}")
    for i, rate in enumerate(rates, start=1):
        print(f"  interactions {(i - 1) * window:>6}-{i * window:<6} {rate:6.0f}/s")
    ratio = rates[-1] / rates[0]
    print(f"  last window / first window: {ratio:.2f}")
    return ratio


async def main(interactions: int, window: int) -> int:
    print(f"{interactions} interactions (slash command + one click per new player)")
    before = await measure(ScanningDiscord(), interactions, window)
    after = await measure(FakeDiscord(), interactions, window)
    report("fake API with linear-scan lookups (before)", before, window)
    ratio = report("fake API with indexed lookups (now)", after, window)
    ok = ratio >= 0.8
    print(f"\nRESULT: {'PASS' if ok else 'FAIL'} (indexed: last/first {ratio:.2f}, goal >= 0.8)")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=10_000)
    parser.add_argument("--window", type=int, default=1000)
    args = parser.parse_args()
    if args.interactions < args.window or args.window % 2:
        parser.error("--interactions must be at least one --window, and --window even")
    sys.exit(asyncio.run(main(args.interactions, args.window)))
