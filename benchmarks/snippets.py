"""Edit & run through the conversation, against bare runner calls, in the same run.

    python benchmarks/snippets.py [--runs 20] [--users 10]

One real runner (started here, as `lrquiz play` does) serves both sides. The app side
submits snippets as `RunSnippet` actions through `Conversation.accept`/`finish` on a real
SQLite file: limits read and the run claimed in one transaction, the runner asked with the
learner's fairness key, the run logged, the result screen built. The baseline sends the
same kind of snippet straight to the runner client. Every snippet carries a fresh nonce, so
nothing is answered from the runner's cache.

Printed: per-run latency p50/p95 one at a time (interleaved app, bare, app, ...), the
p50 difference (what the decisions and the log cost: two short SQLite transactions; goal
<= 5 ms) and the ratios app/bare, the wall time of `--users` learners submitting at once,
and the checks that must hold: every run logged once as ok, none left 'running'.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.conversation.actions import Actor, Envelope, RunSnippet  # noqa: E402
from bot.conversation.core import Conversation  # noqa: E402
from bot.conversation.screens import Screen, SnippetResultScreen  # noqa: E402
from bot.service import GameService  # noqa: E402
from problems.loader import default_pack  # noqa: E402
from runner.local import runner_client  # noqa: E402
from storage.database import Database  # noqa: E402

_nonce = itertools.count(1)
# A fresh token per process too: the runner's result cache may be on disk.
_RUN = secrets.token_hex(8)
SNIPPET = "# {run}\nimport torch\nx = torch.ones(64, 64) * {n}\nprint(float(x.sum()))\n"


class Kept:
    """The replier: keeps what the learner would be shown."""

    def __init__(self) -> None:
        self.shown: list[Screen] = []

    async def show(self, screen: Screen, *, replace: bool = False) -> None:
        self.shown.append(screen)

    async def open_editor(self, editor) -> None:  # not used: submissions only
        raise AssertionError("no editor is opened in this benchmark")


class Platform:
    name = "bench"

    async def post(self, channel, screen):  # pragma: no cover - never posts
        raise AssertionError

    async def edit(self, ref, screen):  # pragma: no cover
        raise AssertionError

    async def is_admin(self, actor) -> bool:
        return False

    async def channel_problem(self, actor, channel):
        return None


def code() -> str:
    return SNIPPET.format(run=_RUN, n=next(_nonce))


async def through_app(conversation: Conversation, user: str) -> float:
    actor = Actor("bench", "W1", user, user, "C1")
    started = time.perf_counter()
    accepted = await conversation.accept(Envelope(actor, RunSnippet(code())))
    assert accepted.refused is None, accepted.refused
    kept = Kept()
    await accepted.finish(kept)
    elapsed = time.perf_counter() - started
    [screen] = kept.shown
    assert isinstance(screen, SnippetResultScreen) and screen.outcome.status == "ok", screen
    return elapsed


async def bare(runner, user: str) -> float:
    started = time.perf_counter()
    result = await runner.run(code(), timeout_s=5.0, client=f"bench:W1:{user}")
    elapsed = time.perf_counter() - started
    assert result.status == "ok" and not result.cached, result
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main(runs: int, users: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "bench.db"
        service = GameService(await Database.open(db_path), [default_pack()])
        async with runner_client() as runner:
            conversation = Conversation(service, Platform(), runner)
            await bare(runner, "warm")  # the runner's first job warms it
            await through_app(conversation, "warm")

            app_one: list[float] = []
            bare_one: list[float] = []
            for i in range(runs):  # interleaved, so neither side gets a warmer runner
                app_one.append(await through_app(conversation, f"s{i}"))
                bare_one.append(await bare(runner, f"s{i}"))

            started = time.perf_counter()
            await asyncio.gather(*(through_app(conversation, f"c{i}") for i in range(users)))
            app_all = time.perf_counter() - started
            started = time.perf_counter()
            await asyncio.gather(*(bare(runner, f"c{i}") for i in range(users)))
            bare_all = time.perf_counter() - started
            await conversation.stop()
        rows = await service.db.run(
            lambda conn: conn.execute(
                "SELECT status, count(*) FROM snippet_runs GROUP BY status"
            ).fetchall()
        )
        await service.db.close()

    app_p50, bare_p50 = pct(app_one, 0.5), pct(bare_one, 0.5)
    print(f"one at a time, {runs} runs each (ms):")
    print(f"  app   p50 {app_p50:7.1f}  p95 {pct(app_one, 0.95):7.1f}")
    print(f"  bare  p50 {bare_p50:7.1f}  p95 {pct(bare_one, 0.95):7.1f}")
    mean_ratio = statistics.mean(app_one) / statistics.mean(bare_one)
    print(f"  app - bare p50 {app_p50 - bare_p50:.1f} ms (goal <= 5)")
    print(f"  ratio app/bare p50 {app_p50 / bare_p50:.2f}  (mean {mean_ratio:.2f})")
    print(f"{users} learners at once (wall s): app {app_all:.2f}  bare {bare_all:.2f}  "
          f"ratio {app_all / bare_all:.2f}")  # fmt: skip
    logged = dict(rows)
    print(f"run log: {logged}")
    expected = 1 + runs + users
    ok = logged == {"ok": expected}
    print("checks:", "every run logged once as ok, none left running" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.runs, args.users)))
