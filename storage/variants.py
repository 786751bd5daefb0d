"""The variant store: generated problem variants, kept whole, and the pool of unused ones.

A variant id ("<template>.s<seed>") in a run, an answer, a review card or a daily card
resolves here to exactly the problem the learner saw, with no runner and after any restart.
Pool variants are generated ahead (bot/variant_bank.py) and each is taken by one run only,
so no learner meets the same pool variant twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from problems.model import Pack, Problem
from problems.serial import problem_from_json, problem_to_json
from problems.variants import parse_variant_id

DAILY = "daily"
POOL = "pool"


@dataclass(frozen=True)
class StoredVariant:
    """One generated variant with where it came from and the PyTorch that keyed it."""

    pack_id: str
    problem: Problem
    template_id: str
    seed: int
    torch_version: str
    purpose: str
    created_at: float


def put_variant(conn: sqlite3.Connection, variant: StoredVariant) -> bool:
    """Store a variant; False if its id is already stored (the stored one stays: it is what
    learners may already have seen)."""
    cursor = conn.execute(
        "INSERT INTO variants(pack_id, id, template_id, seed, problem, torch_version, purpose, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pack_id, id) DO NOTHING",
        (
            variant.pack_id,
            variant.problem.id,
            variant.template_id,
            variant.seed,
            problem_to_json(variant.problem),
            variant.torch_version,
            variant.purpose,
            variant.created_at,
        ),
    )
    return cursor.rowcount == 1


def load_variants(conn: sqlite3.Connection, pack_id: str, ids: Iterable[str]) -> dict[str, Problem]:
    """The stored variants among `ids` (ids that are not variant ids are skipped cheaply)."""
    wanted = sorted({i for i in ids if parse_variant_id(i) is not None})
    found: dict[str, Problem] = {}
    for variant_id in wanted:
        row = conn.execute(
            "SELECT problem FROM variants WHERE pack_id = ? AND id = ?", (pack_id, variant_id)
        ).fetchone()
        if row is not None:
            found[variant_id] = problem_from_json(row[0])
    return found


def stored_variant(conn: sqlite3.Connection, pack_id: str, variant_id: str) -> StoredVariant | None:
    row = conn.execute(
        "SELECT template_id, seed, problem, torch_version, purpose, created_at FROM variants "
        "WHERE pack_id = ? AND id = ?",
        (pack_id, variant_id),
    ).fetchone()
    if row is None:
        return None
    template_id, seed, problem, torch_version, purpose, created_at = row
    return StoredVariant(
        pack_id, problem_from_json(problem), template_id, seed, torch_version, purpose, created_at
    )


def resolve_problem(conn: sqlite3.Connection, pack: Pack, problem_id: str) -> Problem | None:
    """A pack's fixed problem, else its stored variant, else None (retired)."""
    try:
        return pack.problem(problem_id)
    except KeyError:
        return load_variants(conn, pack.id, [problem_id]).get(problem_id)


def with_stored_variants(conn: sqlite3.Connection, pack: Pack, ids: Iterable[str]) -> list[Problem]:
    """The pack's fixed problems, then its stored variants among `ids` (e.g. answered ones),
    so item analysis covers every problem learners really met."""
    found = load_variants(conn, pack.id, ids)
    return [*pack.problems, *(found[i] for i in sorted(found))]


def unused_counts(conn: sqlite3.Connection, pack_id: str) -> dict[str, int]:
    """How many untaken pool variants each template has."""
    return dict(
        conn.execute(
            "SELECT template_id, COUNT(*) FROM variants "
            "WHERE pack_id = ? AND purpose = 'pool' AND taken_by IS NULL GROUP BY template_id",
            (pack_id,),
        ).fetchall()
    )


def unused_pool_ids(conn: sqlite3.Connection, pack_id: str) -> list[str]:
    """The oldest untaken pool variant of each template: the fresh candidates for a run.

    Only ids, from the partial index; the caller parses the problems it has not cached.
    """
    rows = conn.execute(
        "SELECT v.template_id, v.id FROM variants v WHERE v.pack_id = ? AND v.purpose = 'pool' "
        "AND v.taken_by IS NULL AND v.created_at = (SELECT MIN(w.created_at) FROM variants w "
        "WHERE w.pack_id = v.pack_id AND w.template_id = v.template_id "
        "AND w.purpose = 'pool' AND w.taken_by IS NULL) ORDER BY v.template_id, v.id",
        (pack_id,),
    ).fetchall()
    first: dict[str, str] = {}
    for template_id, variant_id in rows:
        first.setdefault(template_id, variant_id)  # two made at the same instant: one
    return list(first.values())


def take_variants(
    conn: sqlite3.Connection, pack_id: str, ids: Iterable[str], session_id: str, now: float
) -> int:
    """Mark pool variants as taken by a run (inside the transaction that stores the run)."""
    taken = 0
    for variant_id in ids:
        taken += conn.execute(
            "UPDATE variants SET taken_by = ?, taken_at = ? WHERE pack_id = ? AND id = ? "
            "AND purpose = 'pool' AND taken_by IS NULL",
            (session_id, now, pack_id, variant_id),
        ).rowcount
    return taken
