"""SQLite persistence (aiosqlite): the source of truth for every run, attempt and point."""
