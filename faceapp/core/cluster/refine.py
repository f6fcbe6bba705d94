"""Refinement after linkage: faces move to the cluster their strong neighbours vote for.

Average linkage is cautious with a weaker embedding: a person seen in two looks often ends as two
clusters whose *average* cross cosine is low although many single faces of one look have strong
partners in the other. This pass is a Chinese-whispers step (Biemann 2006; dlib's face clustering)
started from the linkage result instead of from singletons: every free face sums the weights of its
strong edges (cosine ≥ the model's threshold at a stricter FAR than the linkage) per cluster, counts
itself as one vote (weight 1.0, its cosine with itself) for the cluster it is in, and moves to the
cluster with the larger total. Rounds repeat on the faces next to a move until nothing moves.

Each move is checked against the user's decisions: faces fixed to a person or carrying a soft
label (a named person's earlier faces) never move; a face never enters a cluster holding a person
it was rejected from, or a cluster that already holds a face of its photo.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

VOTE_CHUNK = 131_072  # faces whose votes are summed at once: bounds the per-edge arrays at a million faces
SELF_VOTE = 1.0  # a face's cosine with itself: its vote to stay where linkage put it


def refine(
    labels: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    threshold: float,
    *,
    tags: Mapping[int, set[int]],
    photo: Sequence[int] | None = None,
    movable: np.ndarray | None = None,
    refused: Mapping[int, set[int]] | None = None,
    max_rounds: int = 30,
) -> np.ndarray:
    """New cluster id per face (ids are kept from `labels`; every face has one, singletons too).

    a, b, s: undirected face pairs and cosines (pairs below `threshold` are ignored).
    tags: cluster id -> person ids its immovable faces hold (fixed person, soft label).
    """
    lab = np.asarray(labels, np.int64).copy()
    n = len(lab)
    keep = s >= threshold
    if n == 0 or not keep.any():
        return lab
    idx_t = np.int32 if n < 2**31 else np.int64  # half the memory of int64 edge lists at a million faces
    src = np.concatenate([a[keep], b[keep]]).astype(idx_t)
    dst = np.concatenate([b[keep], a[keep]]).astype(idx_t)
    w = np.concatenate([s[keep], s[keep]]).astype(np.float64)
    order = np.argsort(src, kind="stable")
    src, dst, w = src[order], dst[order], w[order]
    start = np.searchsorted(src, np.arange(n + 1))
    mov = np.ones(n, bool) if movable is None else np.asarray(movable, bool)
    refused = refused or {}
    photos: dict[int, dict[int, int]] = {}
    if photo is not None:
        photo = np.asarray(photo, np.int64)
        for c, p in zip(lab.tolist(), photo.tolist(), strict=True):
            d = photos.setdefault(c, {})
            d[p] = d.get(p, 0) + 1
    active = np.zeros(n, bool)
    active[np.unique(src)] = True
    active &= mov
    for _ in range(max_rounds):
        faces = np.flatnonzero(active)
        if len(faces) == 0:
            break
        parts = [_votes(faces[i : i + VOTE_CHUNK], i, start, dst, w, lab) for i in range(0, len(faces), VOTE_CHUNK)]
        g_row, g_col, g_val = (np.concatenate([p[j] for p in parts]) for j in range(3))
        del parts
        own = g_col == lab[faces[g_row]]
        own_score = np.zeros(len(faces))
        own_score[g_row[own]] = g_val[own]
        gain = g_val - own_score[g_row]
        cand = np.flatnonzero(gain > 1e-9)
        if len(cand) == 0:
            break
        # each face's candidates, best first; faces with the largest gain move first
        cand = cand[np.lexsort((-gain[cand], g_row[cand]))]
        best_gain = np.zeros(len(faces))
        np.maximum.at(best_gain, g_row[cand], gain[cand])
        face_order = np.argsort(-best_gain, kind="stable")
        by_face: dict[int, list[int]] = {}
        for r, c in zip(g_row[cand].tolist(), g_col[cand].tolist(), strict=True):
            by_face.setdefault(r, []).append(c)
        moved = []
        for r in face_order.tolist():
            if r not in by_face:
                continue
            i = int(faces[r])
            for c in by_face[r]:
                if _allowed(i, c, tags, refused, photos, photo):
                    _move(i, int(lab[i]), c, photos, photo)
                    lab[i] = c
                    moved.append(i)
                    break
        if not moved:
            break
        active[:] = False
        mv = np.asarray(moved, np.int64)
        nb = np.concatenate([dst[start[i] : start[i + 1]] for i in mv.tolist()])
        active[nb] = True
        active[mv] = True
        active &= mov
    return lab


def _votes(faces: np.ndarray, offset: int, start: np.ndarray, dst: np.ndarray, w: np.ndarray,
           lab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, cluster, summed weight) per (face, cluster) for a chunk of faces; rows count from `offset`.
    Votes: the face's strong edges plus its own vote for its cluster."""
    lens = start[faces + 1] - start[faces]
    idx = np.repeat(start[faces], lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
    rows = np.concatenate([np.repeat(np.arange(len(faces)), lens), np.arange(len(faces))])
    cols = np.concatenate([lab[dst[idx]], lab[faces]])
    vals = np.concatenate([w[idx], np.full(len(faces), SELF_VOTE)])
    del idx
    key_order = np.lexsort((cols, rows))
    rows, cols, vals = rows[key_order], cols[key_order], vals[key_order]
    first = np.flatnonzero(np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])])
    return rows[first] + offset, cols[first], np.add.reduceat(vals, first)


def _allowed(
    i: int,
    c: int,
    tags: Mapping[int, set[int]],
    refused: Mapping[int, set[int]],
    photos: dict[int, dict[int, int]],
    photo: np.ndarray | None,
) -> bool:
    if tags.get(c) and refused.get(i) and tags[c] & refused[i]:
        return False
    return photo is None or int(photo[i]) not in photos.get(c, {})


def _move(i: int, old: int, new: int, photos: dict[int, dict[int, int]], photo: np.ndarray | None) -> None:
    if photo is None:
        return
    p = int(photo[i])
    d = photos[old]
    d[p] -= 1
    if d[p] == 0:
        del d[p]
    photos.setdefault(new, {})[p] = photos.get(new, {}).get(p, 0) + 1
