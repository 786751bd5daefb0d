"""Where the quiz database lives unless `--db` or `LRQUIZ_DB` says otherwise."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path | str:
    """`$LRQUIZ_DB`, else `$XDG_DATA_HOME/lrquiz/lrquiz.db` (~/.local/share/lrquiz/lrquiz.db).

    A `postgresql://` URL is returned as it is (a Path would fold its `//`)."""
    explicit = os.environ.get("LRQUIZ_DB")
    if explicit and explicit.strip().lower().startswith(("postgresql://", "postgres://")):
        return explicit.strip()
    if explicit:
        return Path(explicit).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "lrquiz" / "lrquiz.db"
