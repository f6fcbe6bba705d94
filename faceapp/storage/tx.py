"""Explicit transactions on an autocommit connection.

Storage functions write with raw SQL inside `transaction(db)`: sqlite-utils' own write helpers
commit as they go, which would break the all-or-nothing rule a resumable scan relies on.
Nested use joins the outer transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
