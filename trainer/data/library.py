"""The people named or confirmed in the app's library, as a FaceSet.

Reads the library with plain SQL (storage owns the schema; we only read): every person with a name
and not hidden, with the faces the user put there ('user' or 'confirmed'), or with every assigned
face when `confirmed_only` is False. Crops come from the library (stored aligned crops, never
re-decoded). Faces the user rejected from the person or marked as not a face are left out, and so
is a face whose stored crop does not decode (listed in `skipped`, never a crash).
"""

from __future__ import annotations

import numpy as np
from sqlite_utils import Database

from trainer.data.faceset import FaceSet


def load_library(db: Database, confirmed_only: bool = True, min_faces: int = 2) -> FaceSet:
    """People with at least `min_faces` faces (a person with one face teaches nothing about pairs)."""
    from faceapp.storage.faces import readable_crops
    from faceapp.storage.people import DECIDED

    where = f"AND a.source IN ({', '.join(repr(s) for s in DECIDED)})" if confirmed_only else ""
    rows = db.execute(
        f"""SELECT a.face_id, p.id, p.name FROM face_assignments a
            JOIN persons p ON p.id = a.person_id
            WHERE p.name IS NOT NULL AND p.name != '' AND p.hidden = 0 {where}
              AND a.face_id NOT IN (SELECT face_id FROM not_faces)
              AND NOT EXISTS (SELECT 1 FROM face_rejections r WHERE r.face_id = a.face_id AND r.person_id = p.id)
            ORDER BY p.name, p.id, a.face_id"""
    ).fetchall()
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
    return FaceSet(crops, labels, [names[pid] for pid in keep], [f"face:{f}" for f in ids], skipped)
