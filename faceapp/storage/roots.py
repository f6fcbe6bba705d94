"""Photo folders the user asked the library to watch: the list the GUI's Library view edits."""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from faceapp.storage.db import now
from faceapp.storage.tx import transaction


def _norm(path: str | Path) -> str:
    return str(Path(path).expanduser().resolve())


def list_roots(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT path FROM roots ORDER BY path").fetchall()]


def add_root(db: Database, path: str | Path) -> str:
    """Remember a folder (normalised, so the same folder is never listed twice); returns its path."""
    p = _norm(path)
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO roots (path, added_at) VALUES (?, ?)", [p, now()])
    return p


def remove_root(db: Database, path: str | Path) -> bool:
    """Forget a folder. Its photos and every decision about their faces stay in the library."""
    with transaction(db):
        cur = db.execute("DELETE FROM roots WHERE path = ?", [_norm(path)])
    return cur.rowcount > 0


def library_folders(db: Database) -> list[str]:
    """The library's photo folders: those listed (list_roots) and every folder a scan walked (a scan
    from the command line lists none)."""
    folders = set(list_roots(db))
    for (value,) in db.execute("SELECT DISTINCT roots FROM scans").fetchall():
        folders.update(json.loads(value or "[]"))
    return sorted(folders)
