"""Open a library database: WAL, foreign keys, migrations applied. One writer per library."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database

from faceapp.storage.migrations import apply_migrations


class NotALibrary(ValueError):
    """The file exists but is not a faceapp library: faceapp will not write its tables into it."""


SQLITE_HEADER = b"SQLite format 3\x00"


def check_library_file(path: str | Path) -> None:
    """Refuse a file that is not a faceapp library: not SQLite at all, or another program's database
    (tables but no faceapp migration record). A missing or empty file is a new library."""
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return
    if p.is_dir():
        raise NotALibrary(f"{p} is a folder, not a library file")
    with p.open("rb") as f:
        if f.read(16) != SQLITE_HEADER:
            raise NotALibrary(f"{p} is not a faceapp library (not an SQLite database)")
    try:  # read-only, through a proper file URI (a path may hold '#', '?' or '%')
        conn = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise NotALibrary(f"{p} is a damaged or unreadable SQLite file ({exc}); faceapp will not write into it") from exc
    if tables and "_migrations" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
        raise NotALibrary(f"{p} is another program's database (tables: {shown}); faceapp will not write into it")


def open_library(path: str | Path = ":memory:") -> Database:
    """Autocommit connection; write paths group their statements with storage.tx.transaction.
    Raises NotALibrary for a file that is not a faceapp library (see check_library_file)."""
    memory = str(path) == ":memory:"
    if not memory:
        check_library_file(path)
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
