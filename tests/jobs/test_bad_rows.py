"""A malformed embedding blob or a crop that does not decode is a face to repair or skip, never a crash."""

from __future__ import annotations

import numpy as np

from faceapp.bench.cluster_synth import identities
from faceapp.jobs import people
from faceapp.jobs.models import ensure_active_model
from faceapp.storage.faces import embeddings, faces_missing_embedding, insert_face
from faceapp.storage.photos import save_photo
from faceapp.storage.tx import transaction


class _Stub:
    """A stand-in embedder (the model itself is tested elsewhere): one fixed unit vector per crop."""

    def __init__(self) -> None:
        self.seen = 0

    def embed(self, crops: np.ndarray) -> np.ndarray:
        self.seen += len(crops)
        v = np.zeros((len(crops), 128), np.float32)
        v[:, 0] = 1
        return v


def _library(db, people_n: int = 3, per: int = 5) -> list[int]:
    model = ensure_active_model(db)["id"]
    x, _ = identities(people_n, per, dim=128, spread=0.4, seed=1)
    out = []
    with transaction(db):
        for k, v in enumerate(x):
            pid = save_photo(db, f"/photos/p{k:04d}.jpg", 1000, 1.0, f"h{k}", width=640, height=480)
            fid = insert_face(db, pid, (10, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, np.zeros((112, 112, 3), np.uint8))
            db.execute("INSERT INTO embeddings (face_id, model, vector) VALUES (?,?,?)", [fid, model, v.tobytes()])
            out.append(fid)
    return out


def test_a_one_byte_embedding_does_not_block_clustering(db):
    faces = _library(db)
    model = ensure_active_model(db)["id"]
    db.execute("UPDATE embeddings SET vector = x'00' WHERE face_id = ?", [faces[0]])
    db.execute("UPDATE embeddings SET vector = zeroblob(100) WHERE face_id = ?", [faces[1]])
    ids, x = embeddings(db, model)
    assert faces[0] not in ids.tolist() and faces[1] not in ids.tolist() and x.shape == (len(faces) - 2, 128)
    assert {faces[0], faces[1]} <= set(faces_missing_embedding(db, model, 128))
    st = people.recluster(db, threshold=0.5)  # re-embeds them from their crops first
    assert st.faces == len(faces) and faces_missing_embedding(db, model, 128) == []
    assert people.assign_new(db, threshold=0.5).candidates == 0


def test_a_crop_that_does_not_decode_is_skipped_with_a_count(db):
    from faceapp.jobs.reembed import embed_missing

    faces = _library(db)
    model = ensure_active_model(db)["id"]
    db.execute("DELETE FROM embeddings WHERE face_id IN (?, ?)", faces[:2])
    db.execute("UPDATE faces SET crop = x'ffd8ffe000' WHERE id = ?", [faces[0]])  # a truncated JPEG, not a PNG
    stub = _Stub()
    rep = embed_missing(db, embedder=stub)
    assert rep.embedded == 1 and rep.unreadable == 1 and stub.seen == 1
    assert faces_missing_embedding(db, model) == [faces[0]]
    assert people.recluster(db, threshold=0.5).faces == len(faces) - 1
