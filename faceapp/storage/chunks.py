"""`IN (…)` lists of any length: SQLite caps the parameters of one statement, so long id lists are
sent in chunks. The one helper for it; SQL written with `{q}` where the placeholders go."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlite_utils import Database

CHUNK = 900  # under SQLite's oldest limit of 999 parameters, with room for a few more


def placeholders(n: int) -> str:
    """'?,?,…' for n parameters."""
    return ",".join("?" * n)


def chunks(ids: Iterable, size: int = CHUNK) -> Iterator[list]:
    """The ids in lists of at most `size`, in their order."""
    items = list(ids)
    for i in range(0, len(items), size):
        yield items[i : i + size]


def execute_in(db: Database, sql: str, ids: Iterable, before: Sequence = (), after: Sequence = (),
               size: int = CHUNK) -> list[tuple]:
    """Run `sql` (holding `{q}` for the list) once per chunk of ids, with `before` and `after`
    parameters around the list's; returns every row, chunk after chunk."""
    out: list[tuple] = []
    for chunk in chunks(ids, size):
        out += db.execute(sql.format(q=placeholders(len(chunk))), [*before, *chunk, *after]).fetchall()
    return out
