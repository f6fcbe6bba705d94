"""How close an unlabeled face must be to a named person to join them, measured on the user's own
confirmed faces (leave one out), for this library and this model.

The clustering links faces at a threshold calibrated for FAR 1e-3 between *any* two faces; a named
person is better known than that: ten confirmed faces summarise them. Each confirmed face is asked,
with itself left out of its person's mean, (a) as a face of a known person: would it join its own
person (correct) or another (wrong)? and (b) as a stranger (its own person removed): would it join
anyone (wrong)? The threshold is the lowest at which the placements it allows are at least
`precision` right. Pure numpy; faceapp.jobs.named_place applies it.
"""

from __future__ import annotations

import numpy as np


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)


def person_means(x: np.ndarray, person: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit mean direction per person, the person ids in that order)."""
    ids, codes = np.unique(person, return_inverse=True)
    sums = np.zeros((len(ids), x.shape[1]), np.float64)
    np.add.at(sums, codes, x)
    return _unit(sums).astype(np.float32), ids


def loo_scores(x: np.ndarray, person: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each face of a person with two or more faces: (own score with the face left out of its
    person's mean, best other person's score, second-best other person's score)."""
    ids, codes = np.unique(person, return_inverse=True)
    counts = np.bincount(codes)
    sums = np.zeros((len(ids), x.shape[1]), np.float64)
    np.add.at(sums, codes, x)
    keep = counts[codes] >= 2
    xs, cs = x[keep].astype(np.float64), codes[keep]
    own = np.einsum("ij,ij->i", xs, _unit(sums[cs] - xs))
    other = xs @ _unit(sums).T
    other[np.arange(len(cs)), cs] = -np.inf
    top = -np.sort(-other, axis=1)
    o1 = top[:, 0] if top.shape[1] > 0 else np.full(len(cs), -1.0)
    o2 = top[:, 1] if top.shape[1] > 1 else np.full(len(cs), -1.0)
    return own, np.where(np.isfinite(o1), o1, -1.0), np.where(np.isfinite(o2), o2, -1.0)


def placement_threshold(x: np.ndarray, person: np.ndarray, precision: float = 0.98, margin: float = 0.05,
                        min_people: int = 3) -> float | None:
    """The lowest cosine at which placements by nearest named person (ahead of the runner-up by
    `margin`) are at least `precision` right on the confirmed faces, as known faces and as strangers;
    None with fewer than `min_people` people of two or more faces, or when no threshold is that precise."""
    person = np.asarray(person)
    if (np.bincount(np.unique(person, return_inverse=True)[1]) >= 2).sum() < min_people:
        return None
    own, o1, o2 = loo_scores(np.asarray(x, np.float32), person)
    right = np.where(own - o1 >= margin, own, np.inf)  # the score at which it joins its own person
    wrong_known = np.where(o1 - own >= margin, o1, np.inf)  # ... joins another named person
    wrong_stranger = np.where(o1 - o2 >= margin, o1, np.inf)  # as a stranger, joins someone
    cands = np.unique(np.concatenate([right[np.isfinite(right)]]))[::-1]
    best = None
    for t in cands:
        ok = (right <= 1e9) & (right >= t)
        bad = int(((wrong_known >= t) & np.isfinite(wrong_known)).sum() + ((wrong_stranger >= t)
                  & np.isfinite(wrong_stranger)).sum())
        n_ok = int(ok.sum())
        if n_ok and n_ok / (n_ok + bad) >= precision:
            best = float(t)
    return best
