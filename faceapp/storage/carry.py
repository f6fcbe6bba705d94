"""An edited photo keeps its decisions: when a file's content changes (a tag written into the JPEG, a
re-save, a small edit) the faces found in it again are the same faces, and their decisions move to them.

Only faces whose embeddings are near-identical (cosine ≥ SAME_FACE, far above any two photos of one
person) and whose boxes overlap are taken as the same face: a different photo saved under the old
name never gets the old photo's decisions (see faceapp.storage.photos.free_path_for).
"""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from faceapp.storage.faces import USER, move_faces, user_faces
from faceapp.storage.photos import box_iou
from faceapp.storage.vectors import decode_vector

SAME_FACE = 0.95  # cosine; an edit that keeps the pixels gives ~1.0, a re-encoded JPEG ≥ 0.98
MIN_IOU = 0.5


def _faces(db: Database, photo_id: int, model_row: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    rows = db.execute(
        "SELECT f.id, f.x, f.y, f.w, f.h, e.vector FROM faces f JOIN embeddings e ON e.face_id = f.id AND e.model = ? "
        "WHERE f.photo_id = ? AND f.source != 'user'", [model_row, photo_id]).fetchall()  # drawn: carry_user_faces
    out = []
    for fid, x, y, w, h, blob in rows:
        if not blob or len(blob) % 4:  # a malformed embedding (re-embedded later) carries nothing
            continue
        v = decode_vector(blob)
        if v.size and np.isfinite(v).all():
            out.append((int(fid), np.array([x, y, w, h], float), v / (np.linalg.norm(v) or 1.0)))
    return out


def carry_decisions(db: Database, old_photo: int, new_photo: int, model_row: int) -> int:
    """Move the decisions of `old_photo`'s faces to the same faces of `new_photo` (call inside the
    transaction that saved it). The old photo is deleted when every face of it found its match.
    Returns the number of faces whose decisions moved."""
    old, new = _faces(db, old_photo, model_row), _faces(db, new_photo, model_row)
    if not old or not new:
        return 0
    sims = np.array([[float(o[2] @ n[2]) if o[2].shape == n[2].shape else -1.0 for n in new] for o in old])
    pairs = []
    for i in range(len(old)):
        j = int(sims[i].argmax())
        if sims[i, j] >= SAME_FACE and int(sims[:, j].argmax()) == i and box_iou(old[i][1], new[j][1]) >= MIN_IOU:
            pairs.append((old[i][0], new[j][0]))
    for src, dst in pairs:
        for table in ("face_assignments", "not_faces"):
            db.execute(f"DELETE FROM {table} WHERE face_id = ?", [dst])
            db.execute(f"UPDATE {table} SET face_id = ? WHERE face_id = ?", [dst, src])
        db.execute("INSERT OR IGNORE INTO face_rejections (face_id, person_id, created_at) "
                   "SELECT ?, person_id, created_at FROM face_rejections WHERE face_id = ?", [dst, src])
        db.execute("DELETE FROM face_rejections WHERE face_id = ?", [src])
    total = db.execute("SELECT count(*) FROM faces WHERE photo_id = ?", [old_photo]).fetchone()[0]
    if pairs and len(pairs) == total:
        db.execute("DELETE FROM photos WHERE id = ?", [old_photo])
    return len(pairs)


def covered(db: Database, photo_id: int | None, boxes: list) -> list[int]:
    """Indexes of `boxes` (faces found again in a photo) that lie on a face the user drew there
    (IoU ≥ MIN_IOU): the user's face stands, the detection is not stored twice."""
    if photo_id is None:
        return []
    drawn = [b for _, b in user_faces(db, photo_id)]
    return [i for i, b in enumerate(boxes) if any(box_iou([float(v) for v in b], d) >= MIN_IOU for d in drawn)]


def carry_user_faces(db: Database, old_photo: int, new_photo: int, carried: int) -> int:
    """Move the faces the user drew on `old_photo` (set aside: its file now holds new content) to
    `new_photo`, when the new content is the same picture edited: the same size, and either some
    detected face carried its decisions (carry_decisions, call it first) or the old photo had no
    detected face to compare. A detection of the new content lying on a drawn face, with no decision
    of its own, is dropped. Returns the number of faces moved (call inside the scan's transaction)."""
    drawn = user_faces(db, old_photo)
    if not drawn:
        return 0
    sizes = db.execute("SELECT id, width, height FROM photos WHERE id IN (?, ?)", [old_photo, new_photo]).fetchall()
    dims = {r[0]: (r[1], r[2]) for r in sizes}
    detected_before = db.execute("SELECT count(*) FROM faces WHERE photo_id = ? AND source != ?",
                                 [old_photo, USER]).fetchone()[0]
    if dims.get(old_photo) != dims.get(new_photo) or not (carried or detected_before == 0):
        return 0
    for fid, *box in db.execute("SELECT id, x, y, w, h FROM faces WHERE photo_id = ? AND source != ?",
                                [new_photo, USER]).fetchall():
        on_drawn = any(box_iou(box, d) >= MIN_IOU for _, d in drawn)
        if on_drawn and not db.execute("SELECT 1 FROM face_assignments WHERE face_id = ? UNION ALL "
                                       "SELECT 1 FROM not_faces WHERE face_id = ?", [fid, fid]).fetchone():
            db.execute("DELETE FROM faces WHERE id = ?", [fid])
    move_faces(db, [f for f, _ in drawn], new_photo)
    return len(drawn)
