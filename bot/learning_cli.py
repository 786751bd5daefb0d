"""`lrquiz ratings rebuild` and `lrquiz problems stats`: the learning models' commands.

Registered by bot/cli.py (ratings) and problems/cli.py (problems stats), which import this
module only when the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bot.engine.item_analysis import ItemStats, Response, analyse
from problems.model import Pack, Problem


def register_ratings(subparsers: Any) -> None:
    ratings = subparsers.add_parser("ratings", help="learner and item ratings")
    commands = ratings.add_subparsers(dest="ratings_command", metavar="{rebuild}")
    commands.required = True
    rebuild = commands.add_parser(
        "rebuild",
        help="recompute every rating and review card from the stored answers",
        description="Replay all answers in the order they were scored; the result is what "
        "the online updates produced.",
    )
    rebuild.add_argument("--db", default=None)
    rebuild.set_defaults(func=rebuild_command)


def rebuild_command(args: argparse.Namespace) -> int:
    return asyncio.run(_rebuild(args))


async def _rebuild(args: argparse.Namespace) -> int:
    from bot.bootstrap import open_service
    from storage.learning import rebuild_learning

    service = await open_service(args.db)
    try:
        packs = list(service.packs.values())
        cache = service.db.row_cache
        done = await service.db.transact(lambda conn: rebuild_learning(conn, packs, cache))
    finally:
        await service.db.close()
    line = f"ratings rebuilt from {done.answers} answers of {done.learners} learners"
    if done.skipped:
        line += f" ({done.skipped} answers to problems no loaded pack has were left out)"
    print(line)
    return 0


def stats_command(args: argparse.Namespace) -> int:
    return asyncio.run(_stats(args))


async def _stats(args: argparse.Namespace) -> int:
    from bot.bootstrap import open_service
    from storage.item_stats import first_tries
    from storage.variants import with_stored_variants

    service = await open_service(args.db, pack_id=args.pack)
    try:
        packs = [service.pack(args.pack)] if args.pack else list(service.packs.values())
        report = []
        for pack in packs:

            def read(conn: Any, pack: Pack = pack) -> tuple[list[Response], list[Problem]]:
                responses = first_tries(conn, pack.id)
                # Fixed problems and the stored variants learners answered.
                ids = (r.problem_id for r in responses)
                return responses, with_stored_variants(conn, pack, ids)

            responses, answered = await service.db.run(read)
            report.append((pack.id, analyse(answered, responses)))
    finally:
        await service.db.close()
    print(_as_json(report) if args.json else _as_text(report))
    return 0


def _as_json(report: list[tuple[str, list[ItemStats]]]) -> str:
    def row(s: ItemStats) -> dict[str, Any]:
        return {
            "problem": s.problem_id,
            "n": s.n,
            "facility": _round(s.facility),
            "discrimination": _round(s.discrimination),
            "picks": {letter: round(share, 4) for letter, share in s.picks.items()},
            "mean_seconds": _round(s.mean_seconds, 1),
            "flags": list(s.flags),
        }

    return json.dumps(
        {"packs": [{"pack": pid, "problems": [row(s) for s in items]} for pid, items in report]},
        indent=2,
    )


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _as_text(report: list[tuple[str, list[ItemStats]]]) -> str:
    lines = []
    for pack_id, items in report:
        lines.append(f"Pack {pack_id}: {sum(s.n for s in items)} answers")
        lines.append(
            f"  {'problem':<28} {'n':>5} {'facility':>8} {'discr.':>7} {'time':>6}  "
            "picks A/B/C/D          flags"
        )
        for s in items:
            picks = " ".join(f"{share:>4.0%}" for share in s.picks.values()) if s.n else "-"
            lines.append(
                f"  {s.problem_id:<28} {s.n:>5} {_pct(s.facility):>8} "
                f"{_num(s.discrimination):>7} {_secs(s.mean_seconds):>6}  {picks:<22} "
                + ", ".join(s.flags)
            )
        flagged = sum(1 for s in items if s.flags)
        lines.append(f"  {flagged} of {len(items)} problems flagged")
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"
