"""Cluster face embeddings into people: constrained average linkage on a sparse similarity graph.

Why this method: on L2-normalised embeddings the average cosine between two groups is the dot
product of their mean vectors, so average linkage needs no N×N matrix — only the pairs that could
ever start a merge (cosine ≥ threshold: a group average can't exceed its best pair) and one sum
vector per cluster. Merges run in vectorised rounds of reciprocal nearest neighbours, then
best-first from a heap with lazy re-scoring (faceapp.core.cluster.merge). Scores are always exact
(cluster sums); the candidate graph keeps each face's `k` best partners above the threshold, so
the result equals exact average linkage cut at `threshold` (tested against scipy) unless a face
had more than `k` such partners. Candidate pairs: exact blocked float32 products up to 30,000
faces, an inverted-file search beyond (faiss when importable: faceapp.core.knn_faiss; else
faceapp.core.knn's own). A pass over pairs of *clusters* found on their mean vectors (whose inner
product is the average linkage itself) then merges what the face graph missed: an approximate
search, or a person whose faces' k best partners all lie in one of his looks.

User decisions enter as constraints: faces fixed to a person are pre-joined (must-link) and never
join another person's faces; a face never joins a cluster holding a person it was rejected from;
two faces of one photo never share a cluster. Clusters smaller than `min_size` become unsorted (-1),
and so do two-face clusters that chance alone would explain (faceapp.core.cluster.chance), when the
model's FAR curve is given.

The threshold is a cosine from the model's calibration (see `threshold_from_calibration`); nothing
here is tuned on a benchmark's labels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from faceapp.core.cluster.chance import chance_pairs
from faceapp.core.cluster.merge import heap_merges, rnn_rounds
from faceapp.core.cluster.params import ClusterParams, ClusterResult, Constraints
from faceapp.core.cluster.refine import refine
from faceapp.core.cluster.state import State, prejoin_fixed
from faceapp.core.knn import EXACT_MAX, add_by_group, as_f32, similar_pairs


def cluster(x: np.ndarray, params: ClusterParams, constraints: Constraints | None = None,
            step: Callable[[str], None] | None = None) -> ClusterResult:
    """Cluster N×D L2-normalised embeddings under the user's constraints. `step(stage)` is called
    before each stage (neighbours, linking, refining, chance, labels): for progress, and a caller
    may raise from it to cancel."""
    step = step or (lambda _stage: None)
    x = as_f32(x)
    n = len(x)
    c = constraints or Constraints()
    st = State(x, c)
    prejoin_fixed(st, c.fixed)
    roots, drop = None, None
    if n >= 2:
        step("neighbours")
        a0, b0, s0 = similar_pairs(x, params.threshold, k=_k(params, n), exact=params.exact)
        step("linking")
        a, b, s = rnn_rounds(st, a0, b0, params.threshold)
        heap_merges(st, a, b, s, params.threshold)
        for _ in range(params.cluster_passes):
            ca, cb = _cluster_pairs(st, params)
            if len(ca) == 0:
                break
            a, b, s = rnn_rounds(st, ca, cb, params.threshold)
            heap_merges(st, a, b, s, params.threshold)
        if params.refine is not None:
            step("refining")
            roots = _refined(st, c, a0, b0, s0, max(params.refine, params.threshold))
        if params.far_curve:
            step("chance")
            if roots is None:
                roots = st.roots()
            drop = _chance_pairs(st, x, roots, a0, b0, s0, params.far_curve)
    step("labels")
    return _labels(st, x, params.min_size, roots, drop)


def _k(params: ClusterParams, n: int) -> int:
    """Partners kept per face: a big library's graph keeps fewer (the cluster-mean pass makes up for it).
    14 at scale: measured at 1M (quiet machine), 16 took 192 s (F 0.969), 14 174 s (F 0.965), 12 167 s
    (F 0.959, under the 0.96 the clustering must keep)."""
    if params.k is not None:
        return params.k
    return 32 if n <= EXACT_MAX else 14


def _cluster_pairs(st: State, params: ClusterParams) -> tuple[np.ndarray, np.ndarray]:
    """Root pairs of clusters (≥ 2 faces) whose average linkage reaches the threshold: found on the
    clusters' mean vectors, whose inner product *is* that score, so pairs the face graph missed
    (each face keeps only its k best partners, found approximately) still merge."""
    roots = st.roots()
    size = np.asarray(st.size, np.int64)
    r = np.flatnonzero((roots == np.arange(len(roots))) & (size >= 2))
    if len(r) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    means = st.sums[r] / size[r, None].astype(np.float32)
    a, b, _ = similar_pairs(means, params.threshold, k=_k(params, len(means)), exact=params.exact)
    return r[a], r[b]


def _chance_pairs(st: State, x: np.ndarray, roots: np.ndarray, a: np.ndarray, b: np.ndarray, s: np.ndarray,
                  curve: Sequence[Sequence[float]]) -> set[int]:
    """Two-face clusters without a decided face whose pair chance explains (faceapp.core.cluster.chance)."""
    uniq, counts = np.unique(roots, return_counts=True)
    pairs = uniq[counts == 2]
    if len(pairs) == 0:
        return set()
    members = np.argsort(roots, kind="stable")
    start = np.searchsorted(roots[members], pairs)
    i, j = members[start], members[start + 1]
    sims = np.einsum("ij,ij->i", x[i], x[j]).astype(np.float64)
    pair_sim = dict(zip(pairs.tolist(), sims.tolist(), strict=True))
    tagged = {r for r in pairs.tolist()
              if st.person[r] >= 0 or (st.group is not None and st.group[r] >= 0)}
    return chance_pairs(roots, a, b, s, curve, pair_sim, keep=tagged)


def _refined(st: State, c: Constraints, a: np.ndarray, b: np.ndarray, s: np.ndarray, t: float) -> np.ndarray:
    """Roots after the refinement (faceapp.core.cluster.refine): only free faces move."""
    n = len(st.parent)
    roots = st.roots()
    movable = np.ones(n, bool)
    if c.fixed is not None:
        movable &= np.asarray(c.fixed) < 0
    if c.group is not None:
        movable &= np.asarray(c.group) < 0
    tags: dict[int, set[int]] = {}
    for r in np.unique(roots).tolist():
        t_r = {v for v in (st.person[r], st.group[r] if st.group is not None else -1) if v >= 0}
        if t_r:
            tags[r] = t_r
    return refine(roots, a, b, s, t, tags=tags, photo=c.photo, movable=movable, refused=c.rejected)


def _labels(st: State, x: np.ndarray, min_size: int, roots: np.ndarray | None = None,
            drop: set[int] | None = None) -> ClusterResult:
    n = len(x)
    sums = st.sums
    if roots is None:
        roots = st.roots()
    else:  # faces moved after linkage: the union-find sums are stale
        sums = np.zeros_like(st.sums)
        add_by_group(sums, roots, x)
    uniq, inv, counts = np.unique(roots, return_inverse=True, return_counts=True)
    drop = drop or set()
    keep = np.array([(counts[k] >= min_size and r not in drop) or st.person[r] >= 0 for k, r in enumerate(uniq)],
                    dtype=bool)
    new_id = np.full(len(uniq), -1, np.int64)
    new_id[keep] = np.arange(int(keep.sum()))
    labels = new_id[inv] if n else np.zeros(0, np.int64)
    person = {int(new_id[k]): st.person[r] for k, r in enumerate(uniq) if keep[k] and st.person[r] >= 0}
    scores = np.zeros(n, np.float32)
    for i in range(0, n, 65536):
        m = sums[roots[i : i + 65536]]
        m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
        scores[i : i + 65536] = np.einsum("ij,ij->i", x[i : i + 65536], m.astype(np.float32))
    scores[labels < 0] = 0.0
    return ClusterResult(labels=labels, scores=scores, person=person)
