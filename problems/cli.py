"""`lrquiz problems`: `check` validates packs, `verify` runs them, `variant` previews a template,
`stats` analyses answers, `pool` generates fresh variants ahead.

bot/cli.py calls `register(subparsers)` and then `args.func(args)`; every handler
returns an exit code and reports on stderr in one line per finding, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .loader import check_packs, shipped_pack_paths

RUNNER_MISSING = "lrquiz: problems verify needs the runner package (pip install 'lrquiz[runner]')"


def register(subparsers: Any) -> None:
    """Add `problems check`, `verify` and `variant` to the main parser's subcommands."""
    problems = subparsers.add_parser(
        "problems", help="check or verify problem packs", description="Work with problem packs."
    )
    commands = problems.add_subparsers(
        dest="problems_command", metavar="{check,verify,variant,stats,pool}"
    )
    commands.required = True

    check = commands.add_parser(
        "check",
        help="validate pack files against the pack rules",
        description="Validate problem packs; exit 0 when all are good, 1 otherwise.",
    )
    check.add_argument(
        "paths", nargs="*", metavar="PATH", help="pack files or directories (default: shipped)"
    )
    check.set_defaults(func=check_command)

    verify = commands.add_parser(
        "verify",
        help="run code-bearing problems with real PyTorch and compare their keys",
        description="Run every code-bearing problem through the runner; exit 0 or 1.",
    )
    verify.add_argument(
        "paths", nargs="*", metavar="PATH", help="pack files or directories (default: shipped)"
    )
    verify.add_argument(
        "--runner", metavar="URL", default=None, help="runner base URL (default: LRQUIZ_RUNNER_URL)"
    )
    verify.add_argument(
        "--variants",
        metavar="N",
        type=variant_count,
        default=3,
        help="variants to generate and check per template, seeds 0..N-1 (default: 3)",
    )
    verify.set_defaults(func=verify_command)

    variant = commands.add_parser(
        "variant",
        help="generate one variant of a template with real PyTorch and print it",
        description="Print the problem a template makes for a seed, keyed by the runner.",
    )
    variant.add_argument(
        "template", metavar="TEMPLATE", help="template id, e.g. t-steplr-two-groups"
    )
    variant.add_argument("--seed", type=variant_count, default=0, help="variant seed (default: 0)")
    variant.add_argument(
        "--packs", nargs="*", metavar="PATH", default=None, help="pack files (default: shipped)"
    )
    variant.add_argument(
        "--runner", metavar="URL", default=None, help="runner base URL (default: LRQUIZ_RUNNER_URL)"
    )
    variant.set_defaults(func=variant_command)

    stats = commands.add_parser(
        "stats",
        help="item analysis from the answers: facility, discrimination, picks, flags",
        description="Per problem: answers, facility, discrimination, choice picks, mean "
        "time and flags for problems worth a second look.",
    )
    stats.add_argument("--db", default=None, help="database file (default: $LRQUIZ_DB)")
    stats.add_argument("--pack", default=None, help="pack id (default: every loaded pack)")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(func=stats_command)

    pool = commands.add_parser(
        "pool",
        help="generate fresh variants for adaptive runs ahead, and list what is ready",
        description="Top every template's pool of unused variants up to --size with the "
        "runner (a bot does this in the background), then list the unused ones.",
    )
    pool.add_argument("--db", default=None, help="database file (default: $LRQUIZ_DB)")
    pool.add_argument(
        "--size",
        type=variant_count,
        default=0,
        help="unused variants to have per template (default: 0, only list them)",
    )
    pool.add_argument(
        "--runner", metavar="URL", default=None, help="runner base URL (default: a local one)"
    )
    pool.set_defaults(func=pool_command)


def variant_count(text: str) -> int:
    """A non-negative integer for --variants; argparse turns the ValueError into one line."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def stats_command(args: argparse.Namespace) -> int:
    """Item analysis lives with the learning models (bot/learning_cli.py)."""
    from bot.learning_cli import stats_command as run_stats

    return run_stats(args)


def pool_command(args: argparse.Namespace) -> int:
    """The pool lives with the game's variant bank (bot/pool_cli.py)."""
    from bot.pool_cli import pool_command as run_pool

    return run_pool(args)


def check_command(args: argparse.Namespace) -> int:
    """Print `ok  <file>: ...` per good pack and one line per issue; 0 only if all are good."""
    paths = args.paths or shipped_pack_paths()
    results = check_packs(paths)
    bad = 0
    for result in results:
        if result.pack is not None and result.ok:
            count = len(result.pack.problems)
            noun = "problem" if count == 1 else "problems"
            print(f"ok  {result.file}: pack '{result.pack.id}', {count} {noun}", file=sys.stderr)
        else:
            bad += 1
            for issue in result.issues:
                print(str(issue), file=sys.stderr)
    if not results:
        print("lrquiz: problems check found no pack files", file=sys.stderr)
        return 1
    if bad:
        issues = sum(len(result.issues) for result in results)
        print(
            f"problems check: {issues} issue{'s' if issues != 1 else ''} "
            f"in {bad} of {len(results)} file{'s' if len(results) != 1 else ''}",
            file=sys.stderr,
        )
        return 1
    return 0


def verify_command(args: argparse.Namespace) -> int:
    """Delegate to runner.verify, which is optional: without it, say how to install it."""
    try:
        from runner.verify import verify_command as run_verify
    except ImportError:
        print(RUNNER_MISSING, file=sys.stderr)
        return 2
    return int(run_verify(paths=args.paths, runner_url=args.runner, variants=args.variants))


def variant_command(args: argparse.Namespace) -> int:
    """Delegate to runner.verify like `verify`: generating a variant needs the runner."""
    try:
        from runner.verify import variant_command as run_variant
    except ImportError:
        print(RUNNER_MISSING.replace("verify", "variant"), file=sys.stderr)
        return 2
    return int(
        run_variant(args.template, seed=args.seed, paths=args.packs or [], runner_url=args.runner)
    )
