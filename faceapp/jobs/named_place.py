"""After a re-cluster, unlabeled faces join the named person they clearly belong to, at a
threshold measured on the user's own confirmed faces (faceapp.core.named_calib) rather than the
clustering's FAR 1e-3 linking threshold.

Measured, not used by the app (issue 15): `faceapp bench family --place`. On the base model it
helped family on the dev half (+1.04, strangers 0) but cost strangers on the test half (+0.92
family, -0.83 strangers); after `faceapp train --db` it moved nothing that mattered (+0.00, -0.08).

Only faces the user decided nothing about and that sit unsorted or in an unnamed person move; a
face never joins a person it was rejected from, nor a person who already has a face in its photo.
The write re-reads the faces' assignments inside the write transaction and skips any decided or
moved meanwhile. Placements are proposals ('cluster'): the next re-cluster plans them again.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlite_utils import Database

from faceapp.core.named_calib import person_means, placement_threshold
from faceapp.storage import people as store
from faceapp.storage.tx import transaction

PRECISION = 0.9  # of the placements, leave-one-out on the confirmed faces; bench family dev (100 people): 0.9 +1.04, 0.95 +0.57, 0.98 +0.35 family, strangers 0
MARGIN = 0.05  # the named person must beat the runner-up by this much cosine


def place_with_named(db: Database, precision: float = PRECISION, margin: float = MARGIN) -> dict:
    """Move clearly placed faces into named people; {'threshold', 'placed'} (threshold None: too
    few confirmed faces to measure one, nothing moved)."""
    from faceapp.jobs.recluster import library_vectors

    ids, x = library_vectors(db)
    prev, names = store.assignments(db), store.person_names(db)
    named = {p for p, n in names.items() if n}
    pos = {f: i for i, f in enumerate(ids.tolist())}
    dec = [(pos[f], p) for f, (p, src, _) in prev.items() if src in store.DECIDED and p in named and f in pos]
    if not dec:
        return {"threshold": None, "placed": 0}
    rows, who = np.array([r for r, _ in dec]), np.array([p for _, p in dec])
    t = placement_threshold(x[rows], who, precision, margin)
    if t is None:
        return {"threshold": None, "placed": 0}
    means, owners = person_means(x[rows], who)
    free = [i for i, f in enumerate(ids.tolist())
            if f not in prev or (prev[f][1] not in store.DECIDED and prev[f][0] not in named)]
    if not free:
        return {"threshold": t, "placed": 0}
    sim = x[free] @ means.T
    order = np.argsort(-sim, axis=1)
    s1 = sim[np.arange(len(free)), order[:, 0]]
    s2 = sim[np.arange(len(free)), order[:, 1]] if means.shape[0] > 1 else np.full(len(free), -1.0)
    home = [prev[int(ids[i])][0] if int(ids[i]) in prev else None for i in free]
    ok = (s1 >= t) & (s1 - s2 >= margin)
    # a face of an unnamed person moves only with at least half of that person's faces: a stranger's
    # cluster stays whole when a few of its faces happen to look like a named person
    size, votes = Counter(h for h in home if h is not None), Counter()
    for k in np.flatnonzero(ok):
        votes[home[k], int(order[k, 0])] += 1
    plan = [(int(ids[free[k]]), int(owners[order[k, 0]]), float(s1[k])) for k in np.flatnonzero(ok)
            if home[k] is None or 2 * votes[home[k], int(order[k, 0])] >= size[home[k]]]
    return {"threshold": t, "placed": _write(db, plan, named)}


def _write(db: Database, plan: list[tuple[int, int, float]], named: set[int]) -> int:
    if not plan:
        return 0
    faces = [f for f, _, _ in plan]
    with transaction(db):
        now = store.assignments_of(db, faces)
        photo_of = store.face_photos(db, faces)
        rej = store.rejections_of(db, faces)
        gone = store.not_faces(db)
        alive = store.person_names(db)
        taken = store.people_in_photos(db, photo_of.values())
        left: set[int] = set()
        placed = 0
        for f, p, s in sorted(plan, key=lambda r: -r[2]):
            cur = now.get(f)
            if f not in photo_of or f in gone or not alive.get(p) or p in rej.get(f, ()) or (p, photo_of[f]) in taken:
                continue
            if cur is not None and (cur[1] in store.DECIDED or cur[0] in named):
                continue
            taken.add((p, photo_of[f]))
            if cur is not None:
                left.add(cur[0])
            store.assign(db, f, p, "cluster", s)
            placed += 1
        if placed:
            store.drop_prototypes(db, left | {p for _, p, _ in plan})
            store.delete_empty_people(db, store.persons_with_decisions(db))
    return placed
