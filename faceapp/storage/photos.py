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


@dataclass
class PhotoRow:
    id: int
    path: str
    size: int | None
    mtime: float | None
    hash: str | None
    status: str


def _row(r: Sequence) -> PhotoRow:
    return PhotoRow(*r)


_COLS = "id, path, size, mtime, hash, status"


def all_photos(db: Database) -> list[PhotoRow]:
    return [_row(r) for r in db.execute(f"SELECT {_COLS} FROM photos ORDER BY id").fetchall()]


def photos_under(db: Database, root: str) -> list[PhotoRow]:
    prefix = root.rstrip("/") + "/"
    rows = db.execute(
        f"SELECT {_COLS} FROM photos WHERE substr(path, 1, ?) = ?", [len(prefix), prefix]
    ).fetchall()
    return [_row(r) for r in rows]


def move_photo(db: Database, photo_id: int, new_path: str, size: int, mtime: float) -> None:
    """A file seen under a new name with known content keeps its faces and decisions."""
    with transaction(db):
        db.execute("DELETE FROM photos WHERE path = ? AND id != ?", [new_path, photo_id])
        db.execute(
            "UPDATE photos SET path = ?, size = ?, mtime = ?, status = CASE WHEN status = 'missing' THEN 'done' ELSE status END WHERE id = ?",
            [new_path, size, mtime, photo_id],
        )


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
) -> int:
    """Write one finished photo, its faces and their embeddings atomically (replacing older faces).

    Call inside `transaction(db)` to batch several photos into one commit.
    """
    with transaction(db):
        old = db.execute("SELECT id FROM photos WHERE path = ?", [path]).fetchone()
        status = "error" if error else "done"
        values = [size, mtime, digest, taken_at, width, height, status,
                  error[0] if error else None, error[1] if error else None,
                  None if error else len(faces), now()]
        keep: dict[int, int] = {}
        if old:
            pid = old[0]
            keep = _match_old_faces(db, pid, faces)
            gone = set(r[0] for r in db.execute("SELECT id FROM faces WHERE photo_id = ?", [pid])) - set(keep.values())
            for fid in gone:
                db.execute("DELETE FROM faces WHERE id = ?", [fid])
            db.execute(
                "UPDATE photos SET size=?, mtime=?, hash=?, taken_at=?, width=?, height=?, status=?, error=?, error_detail=?, face_count=?, scanned_at=? WHERE id=?",
                values + [pid],
            )
        else:
            pid = db.execute(
                "INSERT INTO photos (size, mtime, hash, taken_at, width, height, status, error, error_detail, face_count, scanned_at, path) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    [fid, model_row, np.asarray(embeddings[i], np.float32).tobytes()],
                )
    return int(pid)


def _iou(a: Sequence[float], b: Sequence[float]) -> float:
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
    old = db.execute("SELECT id, x, y, w, h FROM faces WHERE photo_id = ?", [photo_id]).fetchall()
    pairs = sorted(
        ((_iou([float(v) for v in f["box"]], o[1:]), i, o[0]) for i, f in enumerate(faces) for o in old), reverse=True
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
