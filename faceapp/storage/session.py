"""`with library(path) as db:` — a library connection that is closed when the block ends."""

from __future__ import annotations

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
