"""The history of user decisions, and the snapshots that make each one undoable.

Every user action records, before it writes, the rows it is about to touch (assignments,
rejections and not-a-face marks of its faces; its people and their dismissed merge suggestions).
Undo writes those rows back. Re-clustering in between does not matter: undo restores the
decisions, and proposals are re-derived.

Redo: undo first keeps the same rows as they stand (the step's "after"), and redo writes those
back. A step is redoable while it has an "after": recording any new step drops every "after", so
redo never replays a step over decisions made since it was undone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlite_utils import Database

from faceapp.storage import faces as face_store
from faceapp.storage import people as store
from faceapp.storage.chunks import chunks, placeholders
from faceapp.storage.db import now
from faceapp.storage.tx import transaction


def snapshot(db: Database, face_ids: Iterable[int] = (), person_ids: Iterable[int] = ()) -> dict:
    faces = sorted({int(f) for f in face_ids})
    people = sorted({int(p) for p in person_ids})
    snap: dict = {"faces": faces, "assign": {}, "reject": {}, "not_face": [], "people": {}, "dismissed": []}
    for chunk in chunks(faces):
        q = placeholders(len(chunk))
        for f, p, s, sc in db.execute(
            f"SELECT face_id, person_id, source, score FROM face_assignments WHERE face_id IN ({q})", chunk
        ).fetchall():
            snap["assign"][str(f)] = [p, s, sc]
        for f, p in db.execute(f"SELECT face_id, person_id FROM face_rejections WHERE face_id IN ({q})", chunk).fetchall():
            snap["reject"].setdefault(str(f), []).append(p)
        snap["not_face"] += [r[0] for r in db.execute(f"SELECT face_id FROM not_faces WHERE face_id IN ({q})", chunk)]
    for p in people:
        snap["people"][str(p)] = store.person_row(db, p)
    if people:
        q = placeholders(len(people))
        snap["dismissed"] = [list(r) for r in db.execute(
            f"SELECT person_a, person_b FROM dismissed_merges WHERE person_a IN ({q}) OR person_b IN ({q})", people + people
        ).fetchall()]
    return snap


def restore(db: Database, snap: dict) -> None:
    """Write a snapshot back: people first (so faces can point at them), then each face's rows.
    A step that drew faces ("added_faces") takes them away; one that deleted faces ("face_rows",
    see faces.dump_faces) brings them back, before their decisions are written."""
    with transaction(db):
        face_store.delete_faces(db, snap.get("added_faces", []))
        face_store.load_faces(db, snap.get("face_rows", []))
        for pid, row in snap["people"].items():
            if row is None:
                db.execute("DELETE FROM persons WHERE id = ?", [int(pid)])
            else:
                store.restore_person(db, row)
        ts = now()
        not_face = set(snap["not_face"])
        faces = [f for f in snap["faces"] if db.execute("SELECT 1 FROM faces WHERE id = ?", [f]).fetchone()]
        for f in faces:  # (a face gone since was rescanned or removed: nothing to restore)
            db.execute("DELETE FROM face_assignments WHERE face_id = ?", [f])
            db.execute("DELETE FROM face_rejections WHERE face_id = ?", [f])
            db.execute("DELETE FROM not_faces WHERE face_id = ?", [f])
        # Decided rows first: a proposal never displaces a decision.
        order = sorted(faces, key=lambda f: (snap["assign"].get(str(f)) or [0, "cluster"])[1] not in store.DECIDED)
        for f in order:
            a = snap["assign"].get(str(f))
            if a and a[1] not in store.DECIDED and db.execute(
                "SELECT 1 FROM face_assignments x JOIN faces g ON g.id = x.face_id JOIN faces h ON h.photo_id = g.photo_id "
                "WHERE h.id = ? AND x.person_id = ? AND x.face_id != ?", [f, a[0], f]
            ).fetchone():
                a = None  # a re-cluster gave that person another face of this photo since: leave this one unsorted
            if a and db.execute("SELECT 1 FROM persons WHERE id = ?", [a[0]]).fetchone():
                db.execute("INSERT INTO face_assignments (face_id, person_id, source, score, updated_at) VALUES (?,?,?,?,?)",
                           [f, a[0], a[1], a[2], ts])
            for p in snap["reject"].get(str(f), []):
                db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, created_at) VALUES (?,?,?)", [f, p, ts])
            if f in not_face:
                db.execute("INSERT OR IGNORE INTO not_faces (face_id, created_at) VALUES (?, ?)", [f, ts])
        people = [int(p) for p in snap["people"]]
        if people:
            q = placeholders(len(people))
            db.execute(f"DELETE FROM dismissed_merges WHERE person_a IN ({q}) OR person_b IN ({q})", people + people)
            for a, b in snap["dismissed"]:
                db.execute("INSERT OR IGNORE INTO dismissed_merges (person_a, person_b, created_at) VALUES (?,?,?)", [a, b, ts])


def record(db: Database, action: str, before: dict, summary: dict | None = None) -> int:
    with transaction(db):
        db.execute("UPDATE history SET payload = json_remove(payload, '$.after')"
                   " WHERE undone = 1 AND json_extract(payload, '$.after') IS NOT NULL")
        return int(db.execute(
            "INSERT INTO history (at, action, payload, undone) VALUES (?, ?, ?, 0)",
            [now(), action, json.dumps({"before": before, "summary": summary or {}})],
        ).lastrowid)


def version(db: Database) -> tuple:
    """A fingerprint that changes whenever a decision is recorded or undone, or faces come or go: a
    job that plans outside the write lock (re-clustering) checks it before writing its plan."""
    return db.execute(
        "SELECT (SELECT coalesce(max(id), 0) FROM history), (SELECT coalesce(sum(undone), 0) FROM history),"
        " (SELECT count(*) FROM faces), (SELECT coalesce(max(id), 0) FROM faces),"
        " (SELECT count(*) FROM face_rejections), (SELECT count(*) FROM not_faces),"
        " (SELECT count(*) FROM face_assignments WHERE source NOT IN ('cluster', 'auto')),"
        " (SELECT count(*) FROM persons), (SELECT coalesce(sum(hidden), 0) FROM persons)"
    ).fetchone()


def active_count(db: Database) -> int:
    """Decisions recorded and not undone."""
    return int(db.execute("SELECT count(*) FROM history WHERE undone = 0").fetchone()[0])


def last_undoable(db: Database) -> dict | None:
    r = db.execute("SELECT id, at, action, payload FROM history WHERE undone = 0 ORDER BY id DESC LIMIT 1").fetchone()
    if not r:
        return None
    return {"id": r[0], "at": r[1], "action": r[2], **json.loads(r[3])}


def mark_undone(db: Database, history_id: int, after: dict | None = None) -> None:
    """The step is undone; `after` (its rows as they stood before the undo) makes it redoable."""
    with transaction(db):
        if after is None:
            db.execute("UPDATE history SET undone = 1 WHERE id = ?", [history_id])
        else:
            db.execute("UPDATE history SET undone = 1, payload = json_set(payload, '$.after', json(?)) WHERE id = ?",
                       [json.dumps(after), history_id])


def after_of(db: Database, step: dict) -> dict:
    """The rows a step's "before" names, as they stand now (taken just before undoing it)."""
    before = step["before"]
    after = snapshot(db, before.get("faces") or [], [int(p) for p in before.get("people") or {}])
    if before.get("added_faces"):  # undo takes drawn faces away: redo brings them back as they are now
        after["face_rows"] = face_store.dump_faces(db, before["added_faces"])
    if before.get("face_rows"):  # undo brings deleted faces back: redo deletes them again
        after["added_faces"] = [int(r["id"]) for r in before["face_rows"]]
    return after


def last_redoable(db: Database) -> dict | None:
    """The step undone most recently, if nothing was recorded since (undo goes newest first, so the
    redoable steps are the oldest undone ones that still keep an "after")."""
    r = db.execute("SELECT id, at, action, payload FROM history WHERE undone = 1"
                   " AND json_extract(payload, '$.after') IS NOT NULL ORDER BY id LIMIT 1").fetchone()
    if not r:
        return None
    return {"id": r[0], "at": r[1], "action": r[2], **json.loads(r[3])}


def mark_redone(db: Database, history_id: int) -> None:
    with transaction(db):
        db.execute("UPDATE history SET undone = 0, payload = json_remove(payload, '$.after') WHERE id = ?", [history_id])


def recent(db: Database, limit: int = 20) -> list[dict]:
    rows = db.execute("SELECT id, at, action, payload, undone FROM history ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    return [{"id": r[0], "at": r[1], "action": r[2], "summary": json.loads(r[3]).get("summary", {}), "undone": bool(r[4])}
            for r in rows]
