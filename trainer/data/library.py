"""The people named or confirmed in the app's library, as a FaceSet.

Reads the library through faceapp.storage (which owns the schema and its SQL): every person with a name
and not hidden, with the faces the user put there ('user' or 'confirmed'), or with every assigned
face when `confirmed_only` is False. Crops come from the library (stored aligned crops, never
re-decoded). Faces the user rejected from the person or marked as not a face are left out, and so
is a face whose stored crop does not decode (listed in `skipped`, never a crash).
"""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from trainer.data.faceset import FaceSet


def load_library(db: Database, confirmed_only: bool = True, min_faces: int = 2, anchors: int = 0) -> FaceSet:
    """People with at least `min_faces` faces (a person with one face teaches nothing about pairs), and
    as `anchors` up to that many crops of the faces no named person holds (TrainConfig.anchor_distill)."""
    from faceapp.storage.faces import readable_crops
    from faceapp.storage.views import faces_of_no_named_person, named_people_faces

    rows = named_people_faces(db, confirmed_only)
    good, all_crops, unreadable = readable_crops(db, [r[0] for r in rows])
    bad = set(unreadable)
    skipped = [(f"face:{f}", "its stored crop does not decode") for f in unreadable]
    by_person: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for fid, pid, name in rows:
        names[pid] = name
        if fid not in bad:
            by_person.setdefault(pid, []).append(fid)
    keep = [pid for pid, f in by_person.items() if len(f) >= min_faces]
    ids = [f for pid in keep for f in by_person[pid]]
    labels = np.array([k for k, pid in enumerate(keep) for _ in by_person[pid]], np.int64)
    skipped += [(f"person:{pid}", f"only {len(f)} face(s)") for pid, f in by_person.items() if len(f) < min_faces]
    row_of = {f: i for i, f in enumerate(good)}
    crops = all_crops[[row_of[f] for f in ids]] if ids else all_crops[:0]
    others = readable_crops(db, faces_of_no_named_person(db, anchors))[1] if anchors > 0 else None
    return FaceSet(crops, labels, [names[pid] for pid in keep], [f"face:{f}" for f in ids], skipped, others)
