"""The queues a write transaction leaves behind and the one step that empties them.

Answers append to `unfolded_scores` (the leaderboard totals) and `item_evidence` (the item
difficulties) instead of updating rows every answer shares. SQLite folds both just before
each COMMIT; PostgreSQL right after, one folder at a time (storage/pg_database.py).
"""

from __future__ import annotations

import sqlite3

from .leaderboard import refresh_totals
from .ratings import fold_item_evidence


def fold_queues(conn: sqlite3.Connection) -> None:
    """Fold both queues; inside a write transaction."""
    refresh_totals(conn)
    fold_item_evidence(conn)
