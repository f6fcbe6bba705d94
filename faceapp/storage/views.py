"""Reads that join several tables for one screen or one export: faces with their person, the export
table, the boxes of every photo, people seen together, the named people a trainer learns from."""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from faceapp.storage.people import DECIDED
from faceapp.types import Face

_FACE_SQL = (
    "SELECT f.id, f.photo_id, p.path, f.x, f.y, f.w, f.h, a.person_id, a.source, a.score, f.quality "
    "FROM faces f JOIN photos p ON p.id = f.photo_id LEFT JOIN face_assignments a ON a.face_id = f.id "
    "WHERE f.id NOT IN (SELECT face_id FROM not_faces) "
)


def _faces(db: Database, where: str, params: list) -> list[Face]:
    rows = db.execute(_FACE_SQL + f"AND {where} ORDER BY f.id", params).fetchall()
    return [Face(r[0], r[1], r[2], person_id=r[7], source=r[8], score=r[9], box=(r[3], r[4], r[5], r[6]), quality=r[10])
            for r in rows]


def person_faces(db: Database, person_id: int) -> list[Face]:
    return _faces(db, "a.person_id = ?", [person_id])


def unsorted_faces(db: Database) -> list[Face]:
    return _faces(db, "a.person_id IS NULL", [])


def photo_faces(db: Database, photo_id: int) -> list[Face]:
    return _faces(db, "f.photo_id = ?", [photo_id])


EXPORT_KEYS = ("photo", "photo_width", "photo_height", "face_id", "x", "y", "w", "h", "person_id", "person", "score",
               "source")


def exported_faces(db: Database) -> list[dict]:
    """Every assigned face of a visible person (not-a-face left out), by photo path then face id,
    as dicts with EXPORT_KEYS."""
    rows = db.execute(
        "SELECT ph.path, ph.width, ph.height, f.id, f.x, f.y, f.w, f.h, p.id, p.name, a.score, a.source "
        "FROM face_assignments a JOIN faces f ON f.id = a.face_id JOIN photos ph ON ph.id = f.photo_id "
        "JOIN persons p ON p.id = a.person_id WHERE p.hidden = 0 AND f.id NOT IN (SELECT face_id FROM not_faces) "
        "ORDER BY ph.path, f.id"
    ).fetchall()
    return [dict(zip(EXPORT_KEYS, r, strict=True)) for r in rows]


def photo_face_boxes(db: Database) -> list[tuple]:
    """(photo path, photo width, photo height, face id, x, y, w, h) of every face, by path then face id."""
    return db.execute(
        "SELECT ph.path, ph.width, ph.height, f.id, f.x, f.y, f.w, f.h FROM faces f "
        "JOIN photos ph ON ph.id = f.photo_id ORDER BY ph.path, f.id").fetchall()


def people_seen_together(db: Database) -> set[tuple[int, int]]:
    """(smaller, larger) person ids of every two people with faces in one photo."""
    return {tuple(r) for r in db.execute(
        "SELECT DISTINCT min(a1.person_id, a2.person_id), max(a1.person_id, a2.person_id) FROM face_assignments a1 "
        "JOIN faces f1 ON f1.id = a1.face_id JOIN faces f2 ON f2.photo_id = f1.photo_id AND f2.id != f1.id "
        "JOIN face_assignments a2 ON a2.face_id = f2.id WHERE a1.person_id != a2.person_id").fetchall()}


def named_people_faces(db: Database, confirmed_only: bool = True) -> list[tuple[int, int, str]]:
    """(face id, person id, name) of the faces of every named, visible person, by name, person, face:
    only the faces the user decided when `confirmed_only`; not-a-face marks and faces the user
    rejected from that person left out."""
    where = f"AND a.source IN ({', '.join(repr(s) for s in DECIDED)})" if confirmed_only else ""
    return db.execute(
        f"""SELECT a.face_id, p.id, p.name FROM face_assignments a
            JOIN persons p ON p.id = a.person_id
            WHERE p.name IS NOT NULL AND p.name != '' AND p.hidden = 0 {where}
              AND a.face_id NOT IN (SELECT face_id FROM not_faces)
              AND NOT EXISTS (SELECT 1 FROM face_rejections r WHERE r.face_id = a.face_id AND r.person_id = p.id)
            ORDER BY p.name, p.id, a.face_id"""
    ).fetchall()


def faces_of_no_named_person(db: Database, limit: int, seed: int = 0) -> list[int]:
    """Up to `limit` face ids, a seeded random sample, of the faces no named person holds (unsorted,
    or in a person nobody named), not-a-face marks left out: the library's faces nobody labeled."""
    rows = db.execute(
        """SELECT f.id FROM faces f
            WHERE f.id NOT IN (SELECT face_id FROM not_faces)
              AND NOT EXISTS (SELECT 1 FROM face_assignments a JOIN persons p ON p.id = a.person_id
                              WHERE a.face_id = f.id AND p.name IS NOT NULL AND p.name != '')
            ORDER BY f.id"""
    ).fetchall()
    ids = np.array([r[0] for r in rows], np.int64)
    if len(ids) > limit:
        ids = np.sort(np.random.default_rng(seed).choice(ids, limit, replace=False))
    return ids.tolist()
