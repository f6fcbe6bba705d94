"""People and face assignments: intention-level reads and writes (raw SQL inside transactions).

Sources of an assignment: 'cluster' (a clustering proposal), 'auto' (incremental assignment of a
new face), 'user' (the user moved/split the face there), 'confirmed' (the user said "yes, this is
them"). 'user' and 'confirmed' are decisions: clustering never rewrites them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from sqlite_utils import Database

from faceapp.storage.chunks import chunks, execute_in, placeholders
from faceapp.storage.db import now
from faceapp.storage.tx import transaction
from faceapp.storage.vectors import decode_vectors, encode_vector
from faceapp.types import DECIDED, PROPOSED, Person  # noqa: F401  (DECIDED, PROPOSED: store.DECIDED for callers)


def clean_name(name: str | None) -> str | None:
    """A person's name as stored: control characters (a pasted tab or vertical tab, which no XML file
    may hold) become spaces, runs of spaces one, and an empty name is no name. Every function here that
    stores a name applies it, so a name is cleaned the same whichever way it arrives."""
    return " ".join("".join(" " if ord(c) < 32 or c == "\x7f" else c for c in (name or "")).split()) or None


def create_person(db: Database, name: str | None = None, hidden: bool = False) -> int:
    """A new person with an id never used before (undo may bring a deleted person's id back)."""
    name = clean_name(name)
    with transaction(db):
        last = db.execute("SELECT value FROM counters WHERE name = 'person'").fetchone()
        top = db.execute("SELECT coalesce(max(id), 0) FROM persons").fetchone()[0]
        pid = max(last[0] if last else 0, top) + 1
        db.execute("INSERT OR REPLACE INTO counters (name, value) VALUES ('person', ?)", [pid])
        db.execute("INSERT INTO persons (id, name, hidden, created_at) VALUES (?, ?, ?, ?)",
                   [pid, name, int(hidden), now()])
        return pid


def person_row(db: Database, person_id: int) -> dict | None:
    r = db.execute("SELECT id, name, hidden, created_at, birth_date FROM persons WHERE id = ?", [person_id]).fetchone()
    return dict(zip(("id", "name", "hidden", "created_at", "birth_date"), r, strict=True)) if r else None


def restore_person(db: Database, row: dict) -> None:
    """Put a person row back as it was (UPDATE when it exists: REPLACE would cascade-delete its faces)."""
    with transaction(db):
        if db.execute("SELECT 1 FROM persons WHERE id = ?", [row["id"]]).fetchone():
            db.execute("UPDATE persons SET name = ?, hidden = ? WHERE id = ?", [row["name"], int(row["hidden"]), row["id"]])
        else:
            db.execute(
                "INSERT INTO persons (id, name, hidden, created_at) VALUES (?, ?, ?, ?)",
                [row["id"], row["name"], int(row["hidden"]), row["created_at"]],
            )
        if "birth_date" in row:  # (snapshots recorded before birth dates were kept have none to restore)
            db.execute("UPDATE persons SET birth_date = ? WHERE id = ?", [row["birth_date"], row["id"]])


def set_name(db: Database, person_id: int, name: str | None) -> None:
    with transaction(db):
        db.execute("UPDATE persons SET name = ? WHERE id = ?", [clean_name(name), person_id])


def set_birth_date(db: Database, person_id: int, birth_date: str | None) -> None:
    """ISO YYYY-MM-DD, or None: unknown (the caller checks the format)."""
    with transaction(db):
        db.execute("UPDATE persons SET birth_date = ? WHERE id = ?", [birth_date, person_id])


def birth_dates(db: Database) -> dict[int, str]:
    """person id -> birth date, for the people who have one."""
    return dict(db.execute("SELECT id, birth_date FROM persons WHERE birth_date IS NOT NULL").fetchall())


def set_hidden(db: Database, person_id: int, hidden: bool) -> None:
    with transaction(db):
        db.execute("UPDATE persons SET hidden = ? WHERE id = ?", [int(hidden), person_id])


def delete_person(db: Database, person_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM persons WHERE id = ?", [person_id])


def list_persons(db: Database, include_hidden: bool = False, ids: Sequence[int] | None = None) -> list[Person]:
    """People with their counts, biggest first; hidden ones only when asked."""
    where = [] if include_hidden else ["p.hidden = 0"]
    params: list = []
    if ids is not None:
        where.append(f"p.id IN ({placeholders(len(ids))})")
        params += list(ids)
    sql = (
        "SELECT p.id, p.name, p.hidden, count(a.face_id), count(DISTINCT f.photo_id), "
        "sum(CASE WHEN a.source IN ('user', 'confirmed') THEN 1 ELSE 0 END), "
        "(SELECT a2.face_id FROM face_assignments a2 WHERE a2.person_id = p.id "
        "  AND a2.face_id NOT IN (SELECT face_id FROM not_faces) "
        "  ORDER BY a2.source = 'confirmed' DESC, a2.score DESC, a2.face_id LIMIT 1) "
        "FROM persons p LEFT JOIN face_assignments a ON a.person_id = p.id "
        "  AND a.face_id NOT IN (SELECT face_id FROM not_faces) "
        "LEFT JOIN faces f ON f.id = a.face_id "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + "GROUP BY p.id ORDER BY (p.name IS NULL), count(a.face_id) DESC, p.id"
    )
    return [Person(r[0], r[1], bool(r[2]), r[3], r[4], r[5] or 0, r[6]) for r in db.execute(sql, params).fetchall()]


def assignments(db: Database, sources: Iterable[str] | None = None) -> dict[int, tuple[int, str, float | None]]:
    """face id -> (person id, source, score)."""
    sql = "SELECT face_id, person_id, source, score FROM face_assignments"
    params: list = []
    if sources is not None:
        src = list(sources)
        sql += f" WHERE source IN ({placeholders(len(src))})"
        params = src
    return {r[0]: (r[1], r[2], r[3]) for r in db.execute(sql, params).fetchall()}


def _by_faces(db: Database, sql: str, face_ids: Iterable[int]) -> list[tuple]:
    return execute_in(db, sql, sorted({int(f) for f in face_ids}))


def assignments_of(db: Database, face_ids: Iterable[int]) -> dict[int, tuple[int, str, float | None]]:
    """face id -> (person id, source, score), for these faces only."""
    rows = _by_faces(db, "SELECT face_id, person_id, source, score FROM face_assignments WHERE face_id IN ({q})", face_ids)
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def rejections_of(db: Database, face_ids: Iterable[int]) -> dict[int, set[int]]:
    """face id -> persons it was rejected from, for these faces only."""
    out: dict[int, set[int]] = {}
    for f, p in _by_faces(db, "SELECT face_id, person_id FROM face_rejections WHERE face_id IN ({q})", face_ids):
        out.setdefault(f, set()).add(p)
    return out


def faces_of(db: Database, person_id: int) -> list[int]:
    rows = db.execute(
        "SELECT face_id FROM face_assignments WHERE person_id = ? AND face_id NOT IN (SELECT face_id FROM not_faces) "
        "ORDER BY face_id",
        [person_id],
    ).fetchall()
    return [r[0] for r in rows]


def assign(db: Database, face_id: int, person_id: int, source: str, score: float | None = None) -> None:
    with transaction(db):
        db.execute(
            "INSERT OR REPLACE INTO face_assignments (face_id, person_id, source, score, updated_at) VALUES (?,?,?,?,?)",
            [face_id, person_id, source, score, now()],
        )


def person_of(db: Database, face_id: int) -> int | None:
    """The person a face is assigned to (None: unsorted)."""
    r = db.execute("SELECT person_id FROM face_assignments WHERE face_id = ?", [face_id]).fetchone()
    return r[0] if r else None


def assigned_person_ids(db: Database) -> list[int]:
    """Every person that holds at least one face (not-a-face marks included)."""
    return [r[0] for r in db.execute("SELECT DISTINCT person_id FROM face_assignments").fetchall()]


def others_in_photo(db: Database, person_id: int, photo_id: int, face_id: int) -> list[tuple[int, str]]:
    """(face id, source) of the person's other faces in this photo."""
    return db.execute(
        "SELECT a.face_id, a.source FROM face_assignments a JOIN faces f ON f.id = a.face_id "
        "WHERE a.person_id = ? AND f.photo_id = ? AND a.face_id != ?",
        [person_id, photo_id, face_id],
    ).fetchall()


def faces_in_photos_of(db: Database, photo_ids: Sequence[int], person_ids: Sequence[int]) -> list[int]:
    """Faces of these photos assigned to one of these people."""
    q1, q2 = placeholders(len(photo_ids)), placeholders(len(person_ids))
    rows = db.execute(
        f"SELECT a.face_id FROM face_assignments a JOIN faces f ON f.id = a.face_id "
        f"WHERE f.photo_id IN ({q1}) AND a.person_id IN ({q2})", [*photo_ids, *person_ids]
    ).fetchall()
    return [r[0] for r in rows]


def fold_into(db: Database, target_id: int, source_ids: Sequence[int]) -> None:
    """The sources' faces move to the target and their rejections become the target's too."""
    q = placeholders(len(source_ids))
    with transaction(db):
        db.execute(f"UPDATE face_assignments SET person_id = ? WHERE person_id IN ({q})", [target_id, *source_ids])
        db.execute(f"INSERT OR IGNORE INTO face_rejections (face_id, person_id, created_at) "
                   f"SELECT face_id, ?, created_at FROM face_rejections WHERE person_id IN ({q})", [target_id, *source_ids])


def unassign(db: Database, face_ids: Iterable[int]) -> None:
    with transaction(db):
        for f in face_ids:
            db.execute("DELETE FROM face_assignments WHERE face_id = ?", [f])


def replace_proposals(db: Database, rows: Iterable[tuple[int, int, str, float]]) -> None:
    """Drop every clustering/auto proposal and write new ones; decided rows are untouched."""
    with transaction(db):
        db.execute("DELETE FROM face_assignments WHERE source IN ('cluster', 'auto')")
        ts = now()
        db.conn.executemany(
            "INSERT INTO face_assignments (face_id, person_id, source, score, updated_at) VALUES (?,?,?,?,?)",
            [(int(f), int(p), s, float(sc), ts) for f, p, s, sc in rows],
        )


def rejections(db: Database) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for f, p in db.execute("SELECT face_id, person_id FROM face_rejections").fetchall():
        out.setdefault(f, set()).add(p)
    return out


def rejected_from(db: Database, person_ids: Sequence[int]) -> list[int]:
    """Faces rejected from any of these people (a face once per person it was rejected from)."""
    return [r[0] for r in db.execute(
        f"SELECT face_id FROM face_rejections WHERE person_id IN ({placeholders(len(person_ids))})", list(person_ids))]


def drop_rejection(db: Database, face_id: int, person_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM face_rejections WHERE face_id = ? AND person_id = ?", [face_id, person_id])


def add_rejection(db: Database, face_id: int, person_id: int) -> None:
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, created_at) VALUES (?,?,?)",
                   [face_id, person_id, now()])


def add_rejections(db: Database, face_ids: Iterable[int], person_id: int) -> None:
    with transaction(db):
        ts = now()
        db.conn.executemany("INSERT OR IGNORE INTO face_rejections (face_id, person_id, created_at) VALUES (?,?,?)",
                            [(int(f), person_id, ts) for f in face_ids])


def drop_rejections_within(db: Database, person_id: int) -> None:
    """Forget the rejections of this person by faces that are in it now."""
    with transaction(db):
        db.execute("DELETE FROM face_rejections WHERE person_id = ? AND face_id IN "
                   "(SELECT face_id FROM face_assignments WHERE person_id = ?)", [person_id, person_id])


def not_faces(db: Database) -> set[int]:
    return {r[0] for r in db.execute("SELECT face_id FROM not_faces").fetchall()}


def add_not_face(db: Database, face_id: int) -> None:
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO not_faces (face_id, created_at) VALUES (?, ?)", [face_id, now()])


def drop_not_face(db: Database, face_id: int) -> None:
    with transaction(db):
        db.execute("DELETE FROM not_faces WHERE face_id = ?", [face_id])


def face_photos(db: Database, face_ids: Sequence[int] | None = None) -> dict[int, int]:
    """face id -> photo id."""
    if face_ids is None:
        return dict(db.execute("SELECT id, photo_id FROM faces").fetchall())
    return dict(execute_in(db, "SELECT id, photo_id FROM faces WHERE id IN ({q})", face_ids))


def persons_with_decisions(db: Database) -> set[int]:
    """People that must outlive a re-cluster even when no face is left: named, hidden or referenced."""
    rows = db.execute(
        "SELECT id FROM persons WHERE name IS NOT NULL OR hidden = 1 "
        "UNION SELECT person_id FROM face_rejections "
        "UNION SELECT person_id FROM face_assignments WHERE source IN ('user', 'confirmed') "
        "UNION SELECT person_a FROM dismissed_merges UNION SELECT person_b FROM dismissed_merges"
    ).fetchall()
    return {r[0] for r in rows}


def delete_empty_people(db: Database, keep: set[int]) -> int:
    """Delete people with no faces left, except those in `keep`; returns how many went."""
    rows = db.execute(
        "SELECT id FROM persons WHERE id NOT IN (SELECT DISTINCT person_id FROM face_assignments)"
    ).fetchall()
    gone = [r[0] for r in rows if r[0] not in keep]
    with transaction(db):
        for pid in gone:
            db.execute("DELETE FROM persons WHERE id = ?", [pid])
    return len(gone)


def dismissed_merges(db: Database) -> set[tuple[int, int]]:
    return {(a, b) for a, b in db.execute("SELECT person_a, person_b FROM dismissed_merges").fetchall()}


def dismiss_merge(db: Database, a: int, b: int) -> None:
    a, b = min(a, b), max(a, b)
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO dismissed_merges (person_a, person_b, created_at) VALUES (?,?,?)", [a, b, now()])


def save_prototypes(db: Database, model: int, vectors: np.ndarray, owners: Sequence[int],
                    person_ids: Iterable[int] | None = None) -> None:
    """Replace the cached prototypes of these people (None: of everyone) under one model."""
    with transaction(db):
        if person_ids is None:
            db.execute("DELETE FROM person_prototypes WHERE model = ?", [model])
        else:
            drop_prototypes(db, person_ids)
        db.conn.executemany(
            "INSERT INTO person_prototypes (person_id, model, vector) VALUES (?, ?, ?)",
            [(int(p), model, encode_vector(v)) for v, p in zip(vectors, owners, strict=True)],
        )


def load_prototypes(db: Database, model: int) -> tuple[np.ndarray, np.ndarray]:
    """(P×D prototypes, P person ids) cached for this model."""
    rows = db.execute("SELECT person_id, vector FROM person_prototypes WHERE model = ? ORDER BY rowid", [model]).fetchall()
    if not rows:
        return np.zeros((0, 0), np.float32), np.zeros(0, np.int64)
    return decode_vectors([r[1] for r in rows]), np.array([r[0] for r in rows], np.int64)


def drop_prototypes(db: Database, person_ids: Iterable[int] | None = None) -> None:
    """Forget cached prototypes (of these people, or all): they are rebuilt when next needed."""
    with transaction(db):
        if person_ids is None:
            db.execute("DELETE FROM person_prototypes")
            return
        execute_in(db, "DELETE FROM person_prototypes WHERE person_id IN ({q})", sorted({int(p) for p in person_ids}),
                   size=500)


def has_people(db: Database) -> bool:
    return db.execute("SELECT 1 FROM persons LIMIT 1").fetchone() is not None


def count_unnamed(db: Database, person_ids: Sequence[int]) -> int:
    """How many of these people have no name."""
    n = 0
    for chunk in chunks(sorted({int(p) for p in person_ids})):
        n += db.execute(f"SELECT count(*) FROM persons WHERE name IS NULL AND id IN ({placeholders(len(chunk))})",
                        chunk).fetchone()[0]
    return n


def person_names(db: Database) -> dict[int, str | None]:
    """Every person id -> name (None when unnamed): a cheap look at who exists now."""
    return dict(db.execute("SELECT id, name FROM persons").fetchall())


def people_in_photos(db: Database, photo_ids: Iterable[int]) -> set[tuple[int, int]]:
    """(person id, photo id) for every assigned face of these photos."""
    return set(execute_in(db, "SELECT a.person_id, f.photo_id FROM face_assignments a JOIN faces f ON f.id = a.face_id "
                              "WHERE f.photo_id IN ({q})", sorted({int(p) for p in photo_ids})))


def others_wrote(db: Database) -> int:
    """SQLite's data_version: it changes when another connection commits (never for this one's own
    writes), so a cache computed from reads is saved only when nobody wrote in between."""
    return int(db.execute("PRAGMA data_version").fetchone()[0])


def _stack(rows: list, nbytes: int | None) -> tuple[list, np.ndarray]:
    """Rows (..., vector) whose blob has the expected size (else the most common one) as a matrix;
    a malformed blob (wrong length) is left out as if the face had no embedding."""
    if not rows:
        return [], np.zeros((0, (nbytes or 0) // 4), np.float32)
    if nbytes is None:
        nbytes = Counter(len(r[-1]) for r in rows).most_common(1)[0][0]
    good = [r for r in rows if len(r[-1]) == nbytes and nbytes % 4 == 0 and nbytes]
    if not good:
        return [], np.zeros((0, nbytes // 4), np.float32)
    return good, decode_vectors([r[-1] for r in good])


def assigned_vectors(db: Database, model: int, person_ids: Sequence[int],
                     nbytes: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(face ids, vectors, person ids) of these people's faces under a model, read in one statement
    (face and person always agree), not-a-face marks and malformed blobs left out."""
    rows = execute_in(db, "SELECT a.face_id, a.person_id, e.vector FROM face_assignments a "
                          "JOIN embeddings e ON e.face_id = a.face_id AND e.model = ? "
                          "WHERE a.person_id IN ({q}) AND a.face_id NOT IN (SELECT face_id FROM not_faces) "
                          "ORDER BY a.face_id", sorted({int(p) for p in person_ids}), before=[model])
    good, x = _stack(rows, nbytes)
    return (np.array([r[0] for r in good], np.int64), x, np.array([r[1] for r in good], np.int64))


def unsorted_vectors(db: Database, model: int, nbytes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(face ids, vectors) of faces in no person under a model (not-a-face and malformed left out)."""
    rows = db.execute(
        "SELECT e.face_id, e.vector FROM embeddings e WHERE e.model = ? "
        "AND e.face_id NOT IN (SELECT face_id FROM not_faces) "
        "AND e.face_id NOT IN (SELECT face_id FROM face_assignments) ORDER BY e.face_id", [model]).fetchall()
    good, x = _stack(rows, nbytes)
    return np.array([r[0] for r in good], np.int64), x
