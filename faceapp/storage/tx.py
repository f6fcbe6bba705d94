"""Explicit transactions on an autocommit connection.

Storage functions write with raw SQL inside `transaction(db)`: sqlite-utils' own write helpers
commit as they go, which would break the all-or-nothing rule a resumable scan relies on.
Nested use joins the outer transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

BEGIN_TRIES = 4  # each waits the connection's busy_timeout (30 s) before the next


class LibraryBusy(sqlite3.OperationalError):
    """Another process held the library's write lock through every retry: nothing was written."""


def _begin(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, retried while another writer holds the lock, so a user's change waits its
    turn instead of being lost; after the last try the caller hears why nothing was saved."""
    for attempt in range(BEGIN_TRIES):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if attempt == BEGIN_TRIES - 1:
                raise LibraryBusy("the library stayed busy (another faceapp process kept writing to it); "
                                  "this change was not saved, try again") from exc
            time.sleep(0.05 * (attempt + 1))


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    _begin(conn)
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
