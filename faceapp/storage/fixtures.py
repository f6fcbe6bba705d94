"""Synthetic libraries for benchmarks: photos, faces and embeddings written straight in bulk (one
photo per face, one shared crop), far faster than a scan's save_photo and with the ids chosen."""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from faceapp.storage.db import now
from faceapp.storage.tx import transaction
from faceapp.storage.vectors import encode_vector


def add_synthetic_faces(db: Database, model_row: int, vectors: np.ndarray, first: int, crop: bytes) -> None:
    """Faces first+1 … first+len(vectors), each alone in photo /bench/<id-1>.jpg (640×480, same id),
    a 100×100 box, the encoded `crop` and its row of `vectors` as its embedding under model_row."""
    ids = range(first, first + len(vectors))
    with transaction(db):
        db.conn.executemany(
            "INSERT INTO photos (id, path, status, width, height, scanned_at) VALUES (?, ?, 'done', 640, 480, ?)",
            [(i + 1, f"/bench/{i}.jpg", now()) for i in ids])
        db.conn.executemany(
            "INSERT INTO faces (id, photo_id, x, y, w, h, landmarks, score, quality, crop) "
            "VALUES (?, ?, 10, 10, 100, 100, '[]', 0.9, 0.9, ?)", [(i + 1, i + 1, crop) for i in ids])
        db.conn.executemany("INSERT INTO embeddings (face_id, model, vector) VALUES (?, ?, ?)",
                            [(i + 1, model_row, encode_vector(v)) for i, v in zip(ids, vectors, strict=True)])
