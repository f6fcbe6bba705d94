"""Which faces of a person look least like them: the quick way to find the one wrong face.

A face's distance to its person is the cosine distance between its embedding and the person's
mean embedding (each vector unit-normalised first, then the mean normalised), under the active
model. A face grouped in by mistake sits far from the mean, so sorting by distance, farthest
first, puts it on the first row.
"""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from faceapp.storage import models as model_store
from faceapp.storage import people as store


def distances_to_mean(ids: np.ndarray, vectors: np.ndarray) -> dict[int, float]:
    """face id → cosine distance (0 = the mean itself, up to 2) to the mean of these vectors."""
    if not len(ids):
        return {}
    x = np.asarray(vectors, np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    mean = x.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    return {int(f): float(1.0 - d) for f, d in zip(ids.tolist(), (x @ mean).tolist(), strict=True)}


def face_distances(db: Database, person_id: int) -> dict[int, float]:
    """Each of the person's faces with an embedding under the active model → its distance to the
    person's mean (faces without one are absent). Reads only; {} when no model is active."""
    model = model_store.active_model(db)
    if model is None:
        return {}
    ids, x, _ = store.assigned_vectors(db, int(model["id"]), [person_id])
    return distances_to_mean(ids, x)


def least_like_first(db: Database, person_id: int) -> list[tuple[int, float]]:
    """(face id, distance) of the person's faces, least like the person first."""
    return sorted(face_distances(db, person_id).items(), key=lambda kv: (-kv[1], kv[0]))
