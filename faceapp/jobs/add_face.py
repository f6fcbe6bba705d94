"""Add a face the detector missed, and delete a face: user actions, each one undoable step.

A drawn face is stored with source "user" (faces.source), embedded with the library's active model
and confirmed as the chosen person. A rescan keeps it (see faceapp.jobs.scan and
faceapp.storage.carry), re-clustering keeps its decision, the XMP export writes it like any face.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from faceapp import paths
from faceapp.core.detect import Detector, create_detector
from faceapp.core.embed import Embedder
from faceapp.core.images import ImageError
from faceapp.core.manual_face import BoxError, locate_face, region_detector
from faceapp.errors import FaceappError
from faceapp.jobs.models import embedder_for, ensure_active_model
from faceapp.storage import decisions, views
from faceapp.storage import faces as face_store
from faceapp.storage import people as store
from faceapp.storage.carry import MIN_IOU
from faceapp.storage.photos import box_iou
from faceapp.storage.tx import transaction
from faceapp.types import person_label


class AddFaceError(FaceappError, ValueError):
    """The face can't be added (or deleted) as asked; nothing was written."""


@dataclass
class AddedFace:
    face_id: int
    person_id: int
    photo_id: int
    box: tuple[float, float, float, float]
    found: bool  # the detector found the face in the box (else its landmarks were estimated from it)
    score: float


def find_photo(db: Database, path: str | os.PathLike) -> dict:
    """The library's photo at this path (as given, absolute, or with links resolved)."""
    p = Path(path).expanduser()
    for cand in dict.fromkeys([str(p), os.path.abspath(p), str(p.resolve())]):
        row = face_store.photo_for_faces(db, path=cand)
        if row is not None:
            return row
    raise AddFaceError(f"{path} is not a photo in this library (scan its folder first)")


def _usable(db: Database, photo_id: int) -> dict:
    row = face_store.photo_for_faces(db, photo_id=photo_id)
    if row is None:
        raise AddFaceError(f"no photo {photo_id}")
    if row["status"] != "done":
        raise AddFaceError(f"{row['path']} is {row['status']} in the library, not a scanned photo: scan it first")
    return row


def add_face(db: Database, photo_id: int, box: Sequence[float], person_id: int | None = None, *,
             new_name: str | None = None, detector: Detector | None = None,
             embedder: Embedder | None = None) -> AddedFace:
    """Draw a face on a photo (box x, y, w, h in upright photo pixels) and confirm it as
    `person_id`, or as a new person named `new_name`."""
    if (person_id is None) == (new_name is None):
        raise AddFaceError("a drawn face needs a person: an existing one or a new name")
    if person_id is not None and store.person_row(db, person_id) is None:
        raise AddFaceError(f"no person {person_id}")
    photo = _usable(db, photo_id)
    det = detector or region_detector(lambda s: create_detector(s, paths.YUNET))
    try:
        found = locate_face(photo["path"], tuple(box), det)
    except BoxError as exc:
        raise AddFaceError(str(exc)) from None
    except (ImageError, OSError) as exc:
        raise AddFaceError(f"can't read {photo['path']}: {exc}") from None
    if photo["width"] and (found.width, found.height) != (photo["width"], photo["height"]):
        raise AddFaceError(f"{photo['path']} changed since it was scanned ({found.width}×{found.height}, "
                           f"was {photo['width']}×{photo['height']}): scan it again first")
    for f in views.photo_faces(db, photo_id):  # not-a-face marks excluded: a box may be drawn over one
        if box_iou(f.box, found.box) >= MIN_IOU:
            raise AddFaceError(f"face {f.id} is already there (its box overlaps this one): "
                               "name it or move it to a person instead")
    model = ensure_active_model(db)
    vec = (embedder or embedder_for(model)).embed(found.crop[None])[0]
    with transaction(db):
        new = person_id is None
        pid = store.create_person(db, new_name) if new else int(person_id)
        mates = [(f, src) for f, src in store.others_in_photo(db, pid, photo_id, -1)]
        decided = [f for f, src in mates if src in store.DECIDED]
        if decided:
            raise AddFaceError(f"{person_label(pid, store.person_row(db, pid)['name'])} already has a face in "
                               f"this photo (face {decided[0]}); one person is one face per photo")
        fid = face_store.insert_face(db, photo_id, found.box, found.landmarks, found.score, found.quality,
                                     found.crop, source=face_store.USER)
        face_store.store_embeddings(db, model["id"], [fid], vec[None])
        snap = decisions.snapshot(db, [fid] + [f for f, _ in mates])
        snap["added_faces"] = [fid]
        if new:
            snap["people"][str(pid)] = None
        decisions.record(db, "add_face", snap, {"faces": [fid], "person": pid, "photo": photo_id})
        store.unassign(db, [f for f, _ in mates])  # a proposal of this person in the photo makes way
        store.assign(db, fid, pid, "confirmed", None)
        store.drop_prototypes(db, [pid])
    x, y, w, h = (float(v) for v in found.box)
    return AddedFace(fid, pid, photo_id, (x, y, w, h), found.found, found.score)


def delete_faces(db: Database, face_ids: Sequence[int]) -> int:
    """Faces leave the library (drawn by mistake, a box on a poster); undo brings them back with
    their decisions. Returns how many."""
    ids = sorted({int(f) for f in face_ids})
    known = store.face_photos(db, ids)
    missing = [f for f in ids if f not in known]
    if missing:
        raise AddFaceError(f"no face {missing[0]}")
    if not ids:
        return 0
    with transaction(db):
        people = {a[0] for a in store.assignments_of(db, ids).values()}
        snap = decisions.snapshot(db, ids)
        snap["face_rows"] = face_store.dump_faces(db, ids)
        decisions.record(db, "delete_face", snap, {"faces": ids})
        face_store.delete_faces(db, ids)
        store.drop_prototypes(db, people)
    return len(ids)
