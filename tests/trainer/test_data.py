"""Data sources: FaceSet splits and cache, aligned-crop folders, the library's named people, and the
album's dominant identity (not simply the largest face)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from trainer.data.albums import dominant_choice, load_albums
from trainer.data.faceset import FaceSet, load_aligned_folders
from trainer.data.library import load_library


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _faceset(n_people: int = 4, per: int = 5) -> FaceSet:
    labels = np.repeat(np.arange(n_people), per)
    crops = np.zeros((len(labels), 112, 112, 3), np.uint8)
    crops[:, 0, 0, 0] = np.arange(len(labels))
    return FaceSet(crops, labels, [f"p{i}" for i in range(n_people)], [f"f{i}" for i in range(len(labels))])


def test_splits_keep_every_person_and_relabel(tmp_path) -> None:
    fs = _faceset()
    seen, unseen = fs.split_people(0.5, seed=1)
    assert seen.num_classes == unseen.num_classes == 2
    assert set(seen.names).isdisjoint(unseen.names)
    assert sorted(set(seen.labels.tolist())) == [0, 1]
    a, b = fs.split_photos(0.6)
    assert len(a) == 12 and len(b) == 8
    assert set(a.labels.tolist()) == set(b.labels.tolist()) == {0, 1, 2, 3}
    fs.save(tmp_path / "c.npz")
    back = FaceSet.load(tmp_path / "c.npz")
    assert np.array_equal(back.crops, fs.crops) and back.names == fs.names and back.sources == fs.sources


def test_dominant_identity_is_not_the_largest_face() -> None:
    rng = np.random.default_rng(0)
    me = _unit(rng.normal(size=16))
    s = rng.normal(size=16)
    stranger = _unit(s - (s @ me) * me)  # orthogonal: cosine 0 to me

    def near(v: np.ndarray) -> np.ndarray:
        return _unit(v + rng.normal(scale=0.1, size=16))

    # photo faces are listed largest first: the stranger is the biggest face in photos 0 and 1
    twin = near(me)
    photos = [np.stack([near(stranger), near(me)]), np.stack([near(stranger), near(me)]), near(me)[None],
              near(me)[None], np.zeros((0, 16)), near(stranger)[None],
              np.stack([twin, _unit(twin + 1e-3)])]  # two look-alikes: cannot tell
    got = dominant_choice(photos)
    assert got[:5] == [1, 1, 0, 0, "no-face"]
    assert got[5] == "not-found"
    assert got[6] == "ambiguous"


def test_aligned_folders(tmp_path) -> None:
    for name in ("ann", "bob"):
        (tmp_path / name).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / name / f"{i}.png"), np.full((112, 112, 3), 40 * i, np.uint8))
    (tmp_path / "bob" / "broken.jpg").write_bytes(b"nope")
    fs = load_aligned_folders(tmp_path)
    assert fs.names == ["ann", "bob"] and len(fs) == 6 and fs.crops.shape == (6, 112, 112, 3)
    assert [r for _, r in fs.skipped] == ["unreadable"]


def test_library_named_and_confirmed_people(db) -> None:
    from faceapp.storage.faces import insert_face

    db.execute("INSERT INTO photos (id, path) VALUES (1, '/a.jpg')")
    crop = np.zeros((112, 112, 3), np.uint8)
    ids = [insert_face(db, 1, (0, 0, 10, 10), np.zeros((5, 2)), 0.9, 0.5, crop + i) for i in range(7)]
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Ann'), (2, NULL), (3, 'Bob')")
    rows = [(ids[0], 1, "user"), (ids[1], 1, "confirmed"), (ids[2], 1, "cluster"), (ids[3], 2, "user"),
            (ids[4], 3, "user"), (ids[5], 3, "user"), (ids[6], 3, "user")]
    for fid, pid, src in rows:
        db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (?, ?, ?)", [fid, pid, src])
    db.execute("INSERT INTO not_faces (face_id) VALUES (?)", [ids[6]])
    fs = load_library(db)
    assert fs.names == ["Ann", "Bob"]
    assert fs.sources == [f"face:{ids[0]}", f"face:{ids[1]}", f"face:{ids[4]}", f"face:{ids[5]}"]
    assert fs.labels.tolist() == [0, 0, 1, 1]
    assert int(fs.crops[2, 0, 0, 0]) == 4  # the stored crop, not re-decoded
    assert len(load_library(db, confirmed_only=False).labels) == 5


def test_albums_on_real_photos(celeba_dev, tmp_path) -> None:
    people = sorted(p for p in celeba_dev.iterdir() if p.is_dir())[:2]
    for p in people:
        (tmp_path / p.name).mkdir()
        for f in sorted(p.iterdir())[:5]:
            (tmp_path / p.name / f.name).symlink_to(f)
    fs = load_albums(tmp_path)
    assert fs.names == [p.name for p in people]
    assert len(fs) + len(fs.skipped) == 10
    assert len(fs) >= 7 and fs.crops.shape[1:] == (112, 112, 3)


@pytest.mark.parametrize("bad", ["m", "=3"])
def test_param_parsing(bad) -> None:
    from trainer.config import parse_param

    assert parse_param("m=0.5") == ("m", 0.5)
    assert parse_param("easy_margin=true") == ("easy_margin", True)
    assert parse_param("miner=batch_hard") == ("miner", "batch_hard")
    with pytest.raises(ValueError):
        parse_param(bad)


def test_split_guard_keeps_guard_people_out_of_training() -> None:
    from trainer.data.faceset import split_guard

    fs = _faceset(n_people=20, per=6)
    tr_all, held = fs.split_photos(0.7)
    tr, val = tr_all.split_photos(0.8)
    tr2, val2, held2, guard = split_guard(tr, val, held, seed=0)
    assert guard.num_classes == 3 and tr2.num_classes == val2.num_classes == held2.num_classes == 17
    assert set(guard.names).isdisjoint(tr2.names) and set(guard.names).isdisjoint(held2.names)
    assert len(guard) == 3 * (len(tr) + len(val)) // 20  # all their training-side faces
    small = _faceset(n_people=19, per=6)
    a, b = small.split_photos(0.7)
    assert len(split_guard(a, b, b, 0)[3]) == 0  # too few people to spare any
