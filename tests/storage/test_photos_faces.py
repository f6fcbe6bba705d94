"""The faces drawn on a photo tile: photos_with gives each photo's assigned faces (not those marked
"not a face", not unsorted ones), and jobs.photos one face per person shown (no hidden people)."""

from __future__ import annotations

import numpy as np

from faceapp.jobs import photos
from faceapp.storage.faces import insert_face
from faceapp.storage.people import add_not_face, assign, create_person
from faceapp.storage.photos import save_photo
from faceapp.storage.photos_query import photos_with

CROP = np.zeros((112, 112, 3), np.uint8)


def _face(db, photo: int, j: int) -> int:
    return insert_face(db, photo, (10 + 120 * j, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)


def test_tile_faces_are_the_assigned_real_faces(db):
    ann, ben = create_person(db, "Ann"), create_person(db, "Ben")
    hidden = create_person(db, None, hidden=True)
    pid = save_photo(db, "/lib/a.jpg", 1, 1.0, "a", taken_at="2022-01-01T00:00:00")
    fa, fb, fnot, funsorted, fhidden = (_face(db, pid, j) for j in range(5))
    assign(db, fa, ann, "cluster", 0.9)
    assign(db, fb, ben, "cluster", 0.9)
    assign(db, fnot, ben, "cluster", 0.9)
    add_not_face(db, fnot)
    assign(db, fhidden, hidden, "cluster", 0.9)
    [hit] = photos_with(db, [ann])
    assert hit.faces == [(fa, ann), (fb, ben), (fhidden, hidden)]
    assert sorted(hit.person_ids) == sorted([ann, ben, hidden])
    assert funsorted not in [f for f, _ in hit.faces]
    [photo] = photos.photos_together(db, [ann])
    assert photo.faces == [(fa, ann), (fb, ben)]  # one face per person shown; the hidden person is not shown
    assert [n for _, n in photo.people] == ["Ann", "Ben"]
