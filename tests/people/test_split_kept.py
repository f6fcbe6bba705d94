"""A split is a user decision: re-clustering keeps the two groups apart, and undo reverts it all."""

from __future__ import annotations

import numpy as np

from faceapp.jobs import people
from faceapp.jobs.models import ensure_active_model
from faceapp.storage import people as store
from faceapp.storage.faces import insert_face
from faceapp.storage.photos import save_photo
from faceapp.storage.tx import transaction

from .conftest import CROP


def _one_tight_person(db, n: int = 28, seed: int = 0) -> list[int]:
    """28 faces of one look-alike group (as the report had): every pair well above the threshold."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=128)
    centre /= np.linalg.norm(centre)
    model = ensure_active_model(db)["id"]
    out = []
    with transaction(db):
        for k in range(n):
            v = centre + rng.normal(size=128) * 0.04
            v = (v / np.linalg.norm(v)).astype(np.float32)
            pid = save_photo(db, f"/photos/s{k:03d}.jpg", 1000, 1.0, f"s{k}", width=640, height=480)
            fid = insert_face(db, pid, (10, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)
            db.execute("INSERT INTO embeddings (face_id, model, vector) VALUES (?,?,?)", [fid, model, v.tobytes()])
            out.append(fid)
    return out


def _people_of(db, faces) -> dict[int, set[int]]:
    a = store.assignments(db)
    out: dict[int, set[int]] = {}
    for f in faces:
        out.setdefault(a.get(f, (None,))[0], set()).add(f)
    return out


def test_recluster_keeps_a_split_apart(db):
    faces = _one_tight_person(db)
    people.recluster(db, threshold=0.5)
    (p,) = _people_of(db, faces)
    assert p is not None and store.person_row(db, p)["name"] is None
    out = faces[:2]
    new = people.split_person(db, p, out)
    people.recluster(db, threshold=0.5)
    groups = _people_of(db, faces)
    assert groups[new] == set(out)  # the new person absorbed nothing
    assert store.person_row(db, p) is not None and groups[p] == set(faces[2:])  # the original person stays
    people.assign_new(db, threshold=0.5)
    assert _people_of(db, faces) == groups
    # merging them back is the user's word too: all of them in one person, and it holds
    people.merge_people(db, p, [new])
    people.recluster(db, threshold=0.5)
    assert _people_of(db, faces) == {p: set(faces)}


def test_undo_of_a_split_lifts_its_constraint(db):
    faces = _one_tight_person(db, n=10, seed=1)
    people.recluster(db, threshold=0.5)
    (p,) = _people_of(db, faces)
    new = people.split_person(db, p, faces[:2])
    assert people.undo(db)["action"] == "split"
    assert store.person_row(db, new) is None
    assert not any(store.rejections(db).get(f) for f in faces)
    people.recluster(db, threshold=0.5)
    assert _people_of(db, faces) == {p: set(faces)}


def test_every_way_a_name_is_stored_cleans_it_the_same(db):
    """Names are cleaned once, in storage: a split's name, a new person's and a rename all lose control
    characters (a pasted tab or vertical tab: no XML file may hold one) and extra spaces alike."""
    faces = _one_tight_person(db, n=4)
    p = store.create_person(db, "  Ann\x0b  Lee\t")
    assert store.person_row(db, p)["name"] == "Ann Lee"
    people.name_person(db, p, "Ann\tMarie")
    assert store.person_row(db, p)["name"] == "Ann Marie"
    store.set_name(db, p, "\x7f")
    assert store.person_row(db, p)["name"] is None
    people.confirm_faces(db, faces, p)
    q = people.split_person(db, p, faces[:2], name="Bo\x0bb  ")
    assert store.person_row(db, q)["name"] == "Bo b"
