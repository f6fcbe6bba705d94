"""Faces and their embeddings: the crops are kept so re-embedding never re-decodes photos."""

from __future__ import annotations

import json
from collections.abc import Sequence

import cv2
import numpy as np
from sqlite_utils import Database

from faceapp.storage.chunks import execute_in
from faceapp.storage.tx import transaction
from faceapp.storage.vectors import decode_vector, encode_vector, read_matrix


def encode_crop(crop_rgb: np.ndarray) -> bytes:
    # lossless either way; level 1 encodes ~15 % faster than the default for ~2 % more bytes
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(crop_rgb[:, :, ::-1]), [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise ValueError("could not encode crop")
    return buf.tobytes()


def decode_crop(blob: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_COLOR)
    return np.ascontiguousarray(bgr[:, :, ::-1])


DETECTED, USER = "detected", "user"  # faces.source: found by the scan, or drawn by the user


def insert_face(
    db: Database, photo_id: int, box: Sequence[float], landmarks: np.ndarray, score: float, quality: float, crop: np.ndarray,
    source: str = DETECTED,
) -> int:
    x, y, w, h = (float(v) for v in box)
    return int(
        db.execute(
            # the next id above every id ever used (migration 0005 keeps the mark), never a reused one
            "INSERT INTO faces (id, photo_id, x, y, w, h, landmarks, score, quality, crop, source) "
            "VALUES ((SELECT value + 1 FROM counters WHERE name = 'face'),?,?,?,?,?,?,?,?,?,?)",
            [photo_id, x, y, w, h, json.dumps(np.round(np.asarray(landmarks, float), 2).tolist()),
             float(score), float(quality), encode_crop(crop), source],
        ).lastrowid
    )


def update_face(
    db: Database, face_id: int, box: Sequence[float], landmarks: np.ndarray, score: float, quality: float, crop: np.ndarray
) -> None:
    x, y, w, h = (float(v) for v in box)
    db.execute(
        "UPDATE faces SET x=?, y=?, w=?, h=?, landmarks=?, score=?, quality=?, crop=? WHERE id=?",
        [x, y, w, h, json.dumps(np.round(np.asarray(landmarks, float), 2).tolist()), float(score), float(quality),
         encode_crop(crop), face_id],
    )


def face_rows(db: Database, under: str | None = None) -> list[dict]:
    """Faces joined with their photo path (no crops); `under`: only photos whose path starts with it."""
    sql = (
        "SELECT f.id, f.photo_id, p.path, f.x, f.y, f.w, f.h, f.score, f.quality, f.landmarks, f.source "
        "FROM faces f JOIN photos p ON p.id = f.photo_id "
        + ("WHERE substr(p.path, 1, ?) = ? " if under is not None else "")
        + "ORDER BY f.id"
    )
    params = [len(under), under] if under is not None else []
    keys = ("id", "photo_id", "path", "x", "y", "w", "h", "score", "quality", "landmarks", "source")
    out = []
    for r in db.execute(sql, params).fetchall():
        d = dict(zip(keys, r))
        d["landmarks"] = json.loads(d["landmarks"])
        out.append(d)
    return out


def readable_crops(db: Database, face_ids: Sequence[int]) -> tuple[list[int], np.ndarray, list[int]]:
    """(face ids whose crop decodes, their N×112×112×3 RGB crops, face ids whose crop does not):
    a damaged or foreign crop blob is reported, never a crash."""
    crops: dict[int, np.ndarray] = {}
    for fid, blob in execute_in(db, "SELECT id, crop FROM faces WHERE id IN ({q})", face_ids, size=500):
        try:
            img = decode_crop(blob)
        except (TypeError, ValueError, cv2.error):
            continue
        if img.shape == (112, 112, 3):
            crops[fid] = img
    good = [f for f in face_ids if f in crops]
    bad = [f for f in face_ids if f not in crops]
    return good, (np.stack([crops[f] for f in good]) if good else np.zeros((0, 112, 112, 3), np.uint8)), bad


def face_crops(db: Database, face_ids: Sequence[int]) -> np.ndarray:
    """N×112×112×3 RGB crops in the order of face_ids."""
    crops = {fid: decode_crop(blob)
             for fid, blob in execute_in(db, "SELECT id, crop FROM faces WHERE id IN ({q})", face_ids, size=500)}
    return np.stack([crops[f] for f in face_ids]) if face_ids else np.zeros((0, 112, 112, 3), np.uint8)


def embeddings(db: Database, model_row: int, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(face_ids, N×D float32) for every face with an embedding under this model. A malformed blob
    (not D float32s; D = dim, else the most common size) is left out, as if the face had none."""
    size = dim * 4 if dim else None
    if size is None:  # the most common blob size (ties: the one seen first by face id)
        top = db.execute("SELECT length(vector), count(*), min(face_id) FROM embeddings WHERE model = ? "
                         "GROUP BY 1 ORDER BY 2 DESC, 3 LIMIT 1", [model_row]).fetchone()
        size = top[0] if top else 0
    if not size or size % 4:
        return np.zeros(0, np.int64), np.zeros((0, dim or 0), np.float32)
    where = "WHERE model = ? AND length(vector) = ?"
    count = db.execute(f"SELECT count(*) FROM embeddings {where}", [model_row, size]).fetchone()[0]
    cur = db.execute(f"SELECT face_id, vector FROM embeddings {where} ORDER BY face_id", [model_row, size])
    return read_matrix(cur, count, size // 4)  # in chunks: never every row as Python objects


def face_vector(db: Database, face_id: int, model_row: int) -> np.ndarray | None:
    """One face's embedding under a model (None when it has none)."""
    r = db.execute("SELECT vector FROM embeddings WHERE face_id = ? AND model = ?", [face_id, model_row]).fetchone()
    return None if r is None else decode_vector(r[0])


def face_boxes(db: Database) -> list[tuple]:
    """(photo id, face id, x, y, w, h) of every face, by face id."""
    return db.execute("SELECT photo_id, id, x, y, w, h FROM faces ORDER BY id").fetchall()


def faces_missing_embedding(db: Database, model_row: int, dim: int | None = None) -> list[int]:
    """Faces with no embedding under this model, or (given dim) one of the wrong size."""
    rows = db.execute(
        "SELECT f.id FROM faces f LEFT JOIN embeddings e ON e.face_id = f.id AND e.model = ? "
        "WHERE e.face_id IS NULL OR (? IS NOT NULL AND length(e.vector) != ? * 4) ORDER BY f.id",
        [model_row, dim, dim],
    ).fetchall()
    return [r[0] for r in rows]


def store_embeddings(db: Database, model_row: int, face_ids: Sequence[int], vectors: np.ndarray) -> None:
    with transaction(db):
        for fid, v in zip(face_ids, vectors):
            db.execute(
                "INSERT OR REPLACE INTO embeddings (face_id, model, vector) VALUES (?, ?, ?)",
                [int(fid), model_row, encode_vector(v)],
            )


def face_count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM faces").fetchone()[0])


def user_faces(db: Database, photo_id: int) -> list[tuple[int, tuple[float, float, float, float]]]:
    """(face id, box) of the faces the user drew on a photo: a rescan keeps them."""
    rows = db.execute("SELECT id, x, y, w, h FROM faces WHERE photo_id = ? AND source = ? ORDER BY id",
                      [photo_id, USER]).fetchall()
    return [(int(r[0]), (r[1], r[2], r[3], r[4])) for r in rows]


def move_faces(db: Database, face_ids: Sequence[int], photo_id: int) -> None:
    """Faces (with their embeddings and decisions) now belong to another photo row."""
    for fid in face_ids:
        db.execute("UPDATE faces SET photo_id = ? WHERE id = ?", [photo_id, int(fid)])


_FACE_COLS = ("id", "photo_id", "x", "y", "w", "h", "landmarks", "score", "quality", "crop", "source")


def dump_faces(db: Database, face_ids: Sequence[int]) -> list[dict]:
    """The face rows and their embeddings as JSON-safe dicts (crop and vectors base64): what undo
    needs to bring deleted faces back exactly."""
    import base64

    out = []
    for fid in face_ids:
        r = db.execute(f"SELECT {', '.join(_FACE_COLS)} FROM faces WHERE id = ?", [int(fid)]).fetchone()
        if r is None:
            continue
        d = dict(zip(_FACE_COLS, r, strict=True))
        d["crop"] = base64.b64encode(d["crop"]).decode("ascii")
        d["embeddings"] = [[m, base64.b64encode(v).decode("ascii")] for m, v in db.execute(
            "SELECT model, vector FROM embeddings WHERE face_id = ?", [int(fid)])]
        out.append(d)
    return out


def load_faces(db: Database, rows: Sequence[dict]) -> list[int]:
    """Write dumped faces back under their own ids (a face whose photo is gone stays gone).
    Returns the ids written."""
    import base64

    done = []
    with transaction(db):
        for d in rows:
            if db.execute("SELECT 1 FROM faces WHERE id = ?", [d["id"]]).fetchone() or not db.execute(
                    "SELECT 1 FROM photos WHERE id = ?", [d["photo_id"]]).fetchone():
                continue
            vals = [base64.b64decode(d[k]) if k == "crop" else d[k] for k in _FACE_COLS]
            db.execute(f"INSERT INTO faces ({', '.join(_FACE_COLS)}) VALUES ({', '.join('?' * len(_FACE_COLS))})", vals)
            for model, vec in d.get("embeddings", []):
                if db.execute("SELECT 1 FROM models WHERE id = ?", [model]).fetchone():
                    db.execute("INSERT OR REPLACE INTO embeddings (face_id, model, vector) VALUES (?, ?, ?)",
                               [d["id"], model, base64.b64decode(vec)])
            done.append(int(d["id"]))
    return done


def delete_faces(db: Database, face_ids: Sequence[int]) -> None:
    """Faces leave the library with their embeddings and decisions (cascade); ids are never reused."""
    with transaction(db):
        for fid in face_ids:
            db.execute("DELETE FROM faces WHERE id = ?", [int(fid)])


def photo_for_faces(db: Database, path: str | None = None, photo_id: int | None = None) -> dict | None:
    """The photo row a face can be drawn on, by path or id: {id, path, status, width, height, taken_at,
    date} (date: the EXIF date, else the file time, as the photo views date photos)."""
    from faceapp.storage.photos_query import DATE_SQL

    keys = ("id", "path", "status", "width", "height", "taken_at", "date")
    where, arg = ("ph.path = ?", path) if path is not None else ("ph.id = ?", photo_id)
    cols = ", ".join(f"ph.{k}" for k in keys[:-1]) + f", {DATE_SQL}"
    r = db.execute(f"SELECT {cols} FROM photos ph WHERE {where}", [arg]).fetchone()
    return dict(zip(keys, r, strict=True)) if r else None
