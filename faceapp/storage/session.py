"""`with library(path) as db:` — a library connection that is closed when the block ends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from faceapp.storage.db import open_library


@contextmanager
def library(path: str | Path = ":memory:", *, read_only: bool | None = None) -> Iterator[Database]:
    """open_library(path) for the length of a `with` block (its errors are open_library's)."""
    db = open_library(path, read_only=read_only)
    try:
        yield db
    finally:
        db.conn.close()


def copy_library(source: Database | str | Path, path: str | Path) -> None:
    """A consistent copy of a library (open, or the file at `source`) into a new file at `path`
    (SQLite's online backup; open the copy with `library(path)`, which migrates it when due)."""
    src = source.conn if isinstance(source, Database) else sqlite3.connect(source)
    dst = sqlite3.connect(path)
    try:
        src.backup(dst)
    finally:
        dst.close()
        if src is not getattr(source, "conn", None):
            src.close()
