"""Photos in the library: what was scanned, what changed, what went missing, what failed and why."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlite_utils import Database

from faceapp.storage.db import now
from faceapp.storage.faces import insert_face, update_face
from faceapp.storage.tx import transaction
from faceapp.storage.vectors import encode_vector


@dataclass
class PhotoRow:
    id: int
    path: str
    size: int | None
    mtime: float | None
    hash: str | None
    status: str
    identity: str | None = None  # which file the path held when scanned (see scan_plan.file_identity)


def _row(r: Sequence) -> PhotoRow:
    return PhotoRow(*r)


_COLS = "id, path, size, mtime, hash, status, identity"


def all_photos(db: Database) -> list[PhotoRow]:
    return [_row(r) for r in db.execute(f"SELECT {_COLS} FROM photos ORDER BY id").fetchall()]


def photos_under(db: Database, root: str) -> list[PhotoRow]:
    prefix = root.rstrip("/") + "/"
    rows = db.execute(
        f"SELECT {_COLS} FROM photos WHERE substr(path, 1, ?) = ?", [len(prefix), prefix]
    ).fetchall()
    return [_row(r) for r in rows]


def photo_paths(db: Database) -> list[str]:
    """Every photo path the library holds (any status)."""
    return [r[0] for r in db.execute("SELECT path FROM photos").fetchall()]


def done_photos(db: Database) -> list[tuple[int, str, int | None, int | None]]:
    """(id, path, width, height) of every scanned photo, by path."""
    return db.execute("SELECT id, path, width, height FROM photos WHERE status = 'done' ORDER BY path").fetchall()


def delete_photos(db: Database, photo_ids: Iterable[int]) -> None:
    """Photos leave the library, with their faces and everything decided about them."""
    with transaction(db):
        db.conn.executemany("DELETE FROM photos WHERE id = ?", [(int(i),) for i in photo_ids])


def move_photo(db: Database, photo_id: int, new_path: str, size: int, mtime: float, identity: str | None = None) -> None:
    """A file seen under a new name with known content keeps its faces and decisions. Another photo
    that held the name is set aside (see `set_aside`), never deleted: in a swap it moves next."""
    with transaction(db):
        holder = db.execute("SELECT id FROM photos WHERE path = ? AND id != ?", [new_path, photo_id]).fetchone()
        if holder:
            set_aside(db, holder[0])
        db.execute(
            "UPDATE photos SET path = ?, size = ?, mtime = ?, identity = ?, status = CASE WHEN status != 'missing' THEN status "
            "WHEN face_count IS NULL THEN 'error' ELSE 'done' END WHERE id = ?",
            [new_path, size, mtime, identity, photo_id],
        )


def set_aside(db: Database, photo_id: int) -> None:
    """Its file now holds another photo: the row (faces, decisions) leaves the path and is missing
    until its content turns up again, under any name. Its path becomes one no file has."""
    db.execute("UPDATE photos SET path = path || ' [replaced #' || id || ']', status = 'missing' WHERE id = ?", [photo_id])


def free_path_for(db: Database, path: str, digest: str) -> int | None:
    """Before new content is saved under `path`: a photo there with other content is set aside (its
    faces and decisions stay with it, off this path). Returns its id, if any."""
    row = db.execute("SELECT id, hash FROM photos WHERE path = ?", [path]).fetchone()
    if row is None or (digest and row[1] == digest):
        return None
    set_aside(db, row[0])
    return int(row[0])


def drop_set_aside_without_faces(db: Database, photo_ids: Iterable[int]) -> None:
    """Set-aside photos with no faces carry nothing to keep (an old error, a photo of scenery)."""
    with transaction(db):
        for pid in photo_ids:
            db.execute("DELETE FROM photos WHERE id = ? AND status = 'missing' "
                       "AND NOT EXISTS (SELECT 1 FROM faces WHERE photo_id = photos.id)", [pid])


def set_identities(db: Database, rows: Iterable[tuple[int, str]]) -> None:
    """Record the file identity of photos scanned before identities were kept."""
    with transaction(db):
        db.conn.executemany("UPDATE photos SET identity = ? WHERE id = ?", [(ident, pid) for pid, ident in rows])


def mark_missing(db: Database, photo_ids: Iterable[int]) -> int:
    ids = list(photo_ids)
    with transaction(db):
        for pid in ids:
            db.execute("UPDATE photos SET status = 'missing' WHERE id = ?", [pid])
    return len(ids)


def save_photo(
    db: Database,
    path: str,
    size: int,
    mtime: float,
    digest: str,
    *,
    width: int | None = None,
    height: int | None = None,
    taken_at: str | None = None,
    faces: Sequence[dict] = (),
    model_row: int | None = None,
    embeddings: np.ndarray | None = None,
    error: tuple[str, str] | None = None,
    identity: str | None = None,
) -> int:
    """Write one finished photo, its faces and their embeddings atomically (replacing older faces).

    Call inside `transaction(db)` to batch several photos into one commit. The scan first sets aside
    a photo of other content at this path (`free_path_for`), so faces are only matched here when
    the content is the same (detected again, with other settings).
    """
    with transaction(db):
        old = db.execute("SELECT id FROM photos WHERE path = ?", [path]).fetchone()
        status = "error" if error else "done"
        values = [size, mtime, digest, taken_at, width, height, status,
                  error[0] if error else None, error[1] if error else None,
                  None if error else len(faces), now(), identity]
        keep: dict[int, int] = {}
        if old:
            pid = old[0]
            keep = _match_old_faces(db, pid, faces)
            # faces the user drew stay: the detector missed them before and will again
            gone = set(r[0] for r in db.execute("SELECT id FROM faces WHERE photo_id = ? AND source != 'user'", [pid])) - set(keep.values())
            for fid in gone:
                db.execute("DELETE FROM faces WHERE id = ?", [fid])
            db.execute(
                "UPDATE photos SET size=?, mtime=?, hash=?, taken_at=?, width=?, height=?, status=?, error=?, error_detail=?, face_count=?, scanned_at=?, identity=? WHERE id=?",
                values + [pid],
            )
        else:
            pid = db.execute(
                "INSERT INTO photos (size, mtime, hash, taken_at, width, height, status, error, error_detail, face_count, scanned_at, identity, path) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                values + [path],
            ).lastrowid
        for i, face in enumerate(faces):
            if i in keep:
                fid = keep[i]
                update_face(db, fid, **face)
                db.execute("DELETE FROM embeddings WHERE face_id = ?", [fid])
            else:
                fid = insert_face(db, pid, **face)
            if embeddings is not None and model_row is not None:
                db.execute(
                    "INSERT INTO embeddings (face_id, model, vector) VALUES (?, ?, ?)",
                    [fid, model_row, encode_vector(embeddings[i])],
                )
    return int(pid)


def box_iou(a: Sequence[float], b: Sequence[float]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def _match_old_faces(db: Database, photo_id: int, faces: Sequence[dict], min_iou: float = 0.5) -> dict[int, int]:
    """New face index -> old face id for boxes that overlap (IoU ≥ min_iou), best pairs first.

    A re-detected photo (edited, re-saved) keeps its face rows, and with them the user's decisions.
    """
    old = db.execute("SELECT id, x, y, w, h FROM faces WHERE photo_id = ? AND source != 'user'", [photo_id]).fetchall()
    pairs = sorted(
        ((box_iou([float(v) for v in f["box"]], o[1:]), i, o[0]) for i, f in enumerate(faces) for o in old), reverse=True
    )
    match: dict[int, int] = {}
    used: set[int] = set()
    for iou, i, fid in pairs:
        if iou < min_iou:
            break
        if i not in match and fid not in used:
            match[i] = fid
            used.add(fid)
    return match


def error_summary(db: Database) -> dict[str, int]:
    rows = db.execute("SELECT error, count(*) FROM photos WHERE status = 'error' GROUP BY error").fetchall()
    return {r[0]: r[1] for r in rows}


def failed_photos(db: Database) -> list[dict]:
    rows = db.execute("SELECT path, error, error_detail FROM photos WHERE status = 'error' ORDER BY path").fetchall()
    return [{"path": r[0], "error": r[1], "detail": r[2]} for r in rows]


def counts(db: Database) -> dict[str, int]:
    rows = db.execute("SELECT status, count(*) FROM photos GROUP BY status").fetchall()
    return {r[0]: r[1] for r in rows}


def record_scan(db: Database, started: str, roots: list[str], stats: dict) -> None:
    with transaction(db):
        db.execute(
            "INSERT INTO scans (started_at, finished_at, roots, stats) VALUES (?, ?, ?, ?)",
            [started, now(), json.dumps(roots), json.dumps(stats)],
        )
