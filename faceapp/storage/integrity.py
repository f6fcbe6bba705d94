"""Is a library sound: SQLite's own checks (integrity, foreign keys) and faceapp's invariants."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# (what is wrong, a query counting the rows that break it)
INVARIANTS: list[tuple[str, str]] = [
    ("two faces of one photo assigned to the same person",
     "SELECT count(*) FROM (SELECT f.photo_id, a.person_id FROM face_assignments a JOIN faces f ON f.id = a.face_id "
     "GROUP BY f.photo_id, a.person_id HAVING count(*) > 1)"),
    ("faces assigned to a person that does not exist",
     "SELECT count(*) FROM face_assignments a LEFT JOIN persons p ON p.id = a.person_id WHERE p.id IS NULL"),
    ("assignments of faces that do not exist",
     "SELECT count(*) FROM face_assignments a LEFT JOIN faces f ON f.id = a.face_id WHERE f.id IS NULL"),
    ("embeddings without a face",
     "SELECT count(*) FROM embeddings e LEFT JOIN faces f ON f.id = e.face_id WHERE f.id IS NULL"),
    ("embeddings of a model that does not exist",
     "SELECT count(*) FROM embeddings e LEFT JOIN models m ON m.id = e.model WHERE m.id IS NULL"),
    ("faces of a photo that does not exist",
     "SELECT count(*) FROM faces f LEFT JOIN photos p ON p.id = f.photo_id WHERE p.id IS NULL"),
    ("embeddings whose length is not their model's",
     "SELECT count(*) FROM embeddings e JOIN (SELECT model, length(vector) AS n, count(*) AS c FROM embeddings "
     "GROUP BY model, length(vector)) k ON k.model = e.model AND k.n = length(e.vector) WHERE k.c < "
     "(SELECT max(c) FROM (SELECT count(*) AS c FROM embeddings x WHERE x.model = e.model GROUP BY length(x.vector)))"),
    ("more than one active model",
     "SELECT max(count(*) - 1, 0) FROM models WHERE active = 1"),
]
NEEDED = {"photos", "faces", "embeddings", "persons", "face_assignments", "models"}


def check_connection(conn: sqlite3.Connection, quick: bool = False) -> list[str]:
    """Every problem found, in words (empty: the library is sound). `quick` runs SQLite's quick_check
    only (what the app does at start); the full check adds foreign keys and faceapp's invariants."""
    rows = conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check").fetchall()
    problems = [f"SQLite: {r[0]}" for r in rows if r[0] != "ok"]
    if problems or quick:
        return problems
    fk = conn.execute("PRAGMA foreign_key_check").fetchall()
    if fk:
        tables = sorted({r[0] for r in fk})
        problems.append(f"{len(fk)} rows point to missing rows (foreign keys) in {', '.join(tables)}")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if NEEDED <= tables:
        for what, sql in INVARIANTS:
            n = conn.execute(sql).fetchone()[0] or 0
            if n:
                problems.append(f"{n} × {what}")
    return problems


def library_problems(path: str | Path, quick: bool = True) -> list[str]:
    """What is wrong with the library file at `path`, read-only (empty: it can be opened). A file that
    is another program's or from a newer faceapp raises NotALibrary instead: no backup of ours fixes it."""
    from faceapp.storage.db import DamagedLibrary, check_library_file, file_uri

    p = Path(path)
    if not p.exists():
        return []
    try:
        check_library_file(p)
    except DamagedLibrary as exc:
        if exc.header_lost:
            return [f"{p.name} does not begin as an SQLite database does: its first page was overwritten, "
                    "or it is not a library at all"]
        return [str(exc)]
    try:
        conn = sqlite3.connect(file_uri(p, mode="ro"), uri=True, timeout=30)
        try:
            return check_connection(conn, quick=quick)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"SQLite: {exc}"]
