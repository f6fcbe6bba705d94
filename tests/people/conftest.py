"""A synthetic library: people as embedding directions, faces in photos, no image decoding."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.bench.cluster_synth import identities
from faceapp.jobs.models import ensure_active_model
from faceapp.storage.faces import insert_face
from faceapp.storage.photos import save_photo
from faceapp.storage.tx import transaction

CROP = np.zeros((112, 112, 3), np.uint8)


class FakeLibrary:
    def __init__(self, db, people: int = 4, per: int = 6, seed: int = 0, group_photos: int = 3) -> None:
        self.db = db
        model = ensure_active_model(db)["id"]
        x, y = identities(people, per, dim=128, spread=0.5, seed=seed)
        self.truth: dict[int, int] = {}
        self.vec: dict[int, np.ndarray] = {}
        rng = np.random.default_rng(seed)
        order = [int(i) for i in rng.permutation(len(x))]
        slots: list[list[int]] = []
        for _ in range(group_photos):  # photos with two faces of different people
            a = order.pop(0)
            b = order.pop(next(k for k, i in enumerate(order) if y[i] != y[a]))
            slots.append([a, b])
        slots += [[i] for i in order]
        with transaction(db):
            for k, members in enumerate(slots):
                pid = save_photo(db, f"/photos/p{k:04d}.jpg", 1000, 1.0, f"h{k}", width=640, height=480)
                for j, i in enumerate(members):
                    fid = insert_face(db, pid, (10 + 200 * j, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)
                    db.execute("INSERT INTO embeddings (face_id, model, vector) VALUES (?,?,?)", [fid, model, x[i].tobytes()])
                    self.truth[fid] = int(y[i])
                    self.vec[fid] = x[i]
        self.photo_of = dict(db.execute("SELECT id, photo_id FROM faces").fetchall())

    def faces_of_truth(self, label: int) -> list[int]:
        return sorted(f for f, t in self.truth.items() if t == label)

    def add_face(self, label: int, seed: int = 99, base: int = 0) -> int:
        """A new photo with one new face of a known person (a rescan found it)."""
        from faceapp.jobs.models import ensure_active_model

        f0 = self.faces_of_truth(label)[base]
        rng = np.random.default_rng(seed)
        v = self.vec[f0] + rng.normal(size=128).astype(np.float32) * 0.02
        v /= np.linalg.norm(v)
        with transaction(self.db):
            k = len(self.photo_of) + 1000 + seed
            pid = save_photo(self.db, f"/photos/new{k}.jpg", 1000, 1.0, f"n{k}", width=640, height=480)
            fid = insert_face(self.db, pid, (10, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)
            self.db.execute("INSERT INTO embeddings (face_id, model, vector) VALUES (?,?,?)",
                            [fid, ensure_active_model(self.db)["id"], v.astype(np.float32).tobytes()])
        self.truth[fid] = label
        self.vec[fid] = v
        self.photo_of[fid] = pid
        return fid


    def person(self, face_id: int) -> int | None:
        return person_of(self.db, face_id)

    def check_one_face_per_photo(self) -> None:
        assert_one_face_per_photo_per_person(self.db)


@pytest.fixture
def make_lib(db):
    return lambda **kw: FakeLibrary(db, **kw)


@pytest.fixture
def lib(db):
    return FakeLibrary(db)


def person_of(db, face_id: int) -> int | None:
    r = db.execute("SELECT person_id FROM face_assignments WHERE face_id = ?", [face_id]).fetchone()
    return r[0] if r else None


def assert_one_face_per_photo_per_person(db) -> None:
    bad = db.execute(
        "SELECT f.photo_id, a.person_id, count(*) FROM face_assignments a JOIN faces f ON f.id = a.face_id "
        "GROUP BY f.photo_id, a.person_id HAVING count(*) > 1"
    ).fetchall()
    assert bad == []


@pytest.fixture
def write_photo():
    """write_photo(path, seed, upright=(640, 480), orientation=1): see _write_photo."""
    return _write_photo


def _write_photo(path, seed: int = 0, upright: tuple[int, int] = (640, 480), orientation: int = 1) -> None:
    """A real JPEG whose upright size is `upright` (the fake library's photos are 640×480), stored
    turned by `orientation` as a camera would; a distinct colour per seed so file contents differ."""
    from PIL import Image

    size = upright[::-1] if orientation in (5, 6, 7, 8) else upright
    img = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, 128))
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, "JPEG", exif=exif.tobytes(), quality=50)
