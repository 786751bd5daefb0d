"""Persistence, SQLite (aiosqlite) or PostgreSQL (psycopg), chosen by storage.factory: the
source of truth for every run, attempt and point."""
