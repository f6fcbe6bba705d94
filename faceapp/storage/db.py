"""Open a library database: WAL, foreign keys, migrations applied. One writer per library."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from faceapp.storage.migrations import apply_migrations


def open_library(path: str | Path = ":memory:") -> Database:
    """Autocommit connection; write paths group their statements with storage.tx.transaction."""
    memory = str(path) == ":memory:"
    if not memory:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False, isolation_level=None)
    db = Database(conn)
    if not memory:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    apply_migrations(db)
    return db


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
