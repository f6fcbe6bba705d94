"""The merge engines (faceapp.core.cluster.merge) against the plain loops they replaced.

The engines score pairs in blocks with numpy/faiss, keep pairs in place between rounds and push
stale pairs to the heap in bulk; the references below are the one-pair-at-a-time loops of the
earlier version. Both run on the same random libraries with cannot-links (photos, people fixed to
faces, rejections) and must give the same partition.
"""

import heapq

import numpy as np
import pytest

from faceapp.core.cluster import Constraints
from faceapp.core.cluster import merge as M
from faceapp.core.cluster.state import State, prejoin_fixed
from faceapp.core.knn import similar_pairs


def _ref_rounds(st, a, b, t, min_gain=0.02, max_rounds=100):
    n = len(st.parent)
    par = st.roots()
    if not (par == np.arange(n)).all():
        a, b = M._dedupe(par[a], par[b], n)
    s = _ref_scores(st, a, b)
    keep = s >= t
    a, b, s = a[keep], b[keep], s[keep]
    roots_left = int((par == np.arange(n)).sum())
    for _ in range(max_rounds):
        if len(a) == 0:
            break
        best = M._best_partner(a, b, s, n)
        rnn = (best[a] == b) & (best[b] == a)
        changed = np.zeros(n, bool)
        merged, blocked = 0, np.zeros(len(a), bool)
        for k, i, j in zip(np.flatnonzero(rnn).tolist(), a[rnn].tolist(), b[rnn].tolist(), strict=True):
            if st.conflict(i, j):
                blocked[k] = True
                continue
            changed[st.union(i, j)] = True
            merged += 1
        a, b, s = a[~blocked], b[~blocked], s[~blocked]
        if merged == 0:
            break
        roots_left -= merged
        roots = np.asarray(st.parent, np.int64)
        a, b = roots[a], roots[b]
        touch = changed[a] | changed[b]
        ca, cb = M._dedupe(a[touch], b[touch], n)
        cs = _ref_scores(st, ca, cb)
        keep = cs >= t
        a, b, s = (np.concatenate([v[~touch], c[keep]]) for v, c in ((a, ca), (b, cb), (s, cs)))
        if merged < min_gain * roots_left:
            break
    return a, b, s


def _ref_scores(st, a, b):
    size = np.asarray(st.size, np.float64)
    return np.einsum("ij,ij->i", st.sums[a], st.sums[b]) / (size[a] * size[b])


def _ref_heap(st, a, b, s, t):
    order = np.argsort(-s, kind="stable")
    keys, aa, bb = s[order].astype(np.float64).tolist(), a[order].tolist(), b[order].tolist()
    m, p, heap, pending = len(keys), 0, [], {}
    while True:
        if heap and (p >= m or -heap[0][0] > keys[p]):
            negkey, i, j = heapq.heappop(heap)
            key = -negkey
            if pending.get((i, j)) == key:
                del pending[(i, j)]
        elif p < m:
            key, i, j = keys[p], aa[p], bb[p]
            p += 1
        else:
            break
        if key < t:
            break
        ri, rj = st.find(i), st.find(j)
        if ri == rj:
            continue
        score = float(st.sums[ri] @ st.sums[rj]) / (st.size[ri] * st.size[rj])
        if score < key - 1e-9:
            nxt = max(keys[p] if p < m else -2.0, -heap[0][0] if heap else -2.0)
            if score < nxt:
                pair = (ri, rj) if ri < rj else (rj, ri)
                if score >= t and pending.get(pair, -2.0) < score:
                    pending[pair] = score
                    heapq.heappush(heap, (-score, *pair))
                continue
            if score < t:
                continue
        if st.conflict(ri, rj):
            continue
        st.union(ri, rj)


def _library(seed: int, n: int = 240, dim: int = 12):
    rng = np.random.default_rng(seed)
    people = rng.normal(size=(n // 6, dim))
    x = people[rng.integers(0, len(people), n)] + rng.normal(size=(n, dim)) * 0.55
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    photo = rng.integers(0, n // 2, n)  # about two faces a photo: cannot-links everywhere
    fixed = np.where(rng.random(n) < 0.08, rng.integers(0, 4, n), -1)
    rejected = {int(i): {int(rng.integers(0, 4))} for i in rng.choice(n, n // 10, replace=False)}
    return x, Constraints(photo=photo.tolist(), fixed=fixed.tolist(), rejected=rejected)


def _partition(st):
    """Cluster per face, numbered by first face (root ids depend on which side of an equal-size union won)."""
    return _first_seen(st.roots())


def _first_seen(roots):
    _, first, inv = np.unique(roots, return_index=True, return_inverse=True)
    return np.argsort(np.argsort(first))[inv]


def _state(x, c):
    st = State(x, c)
    prejoin_fixed(st, c.fixed)
    return st


@pytest.mark.parametrize("seed", range(12))
def test_rounds_and_heap_give_the_partition_of_the_plain_loops(seed):
    x, c = _library(seed)
    t = 0.45
    a, b, _ = similar_pairs(x, t, k=8, exact=True)
    new, ref = _state(x, c), _state(x, c)
    ra, rb, rs = M.rnn_rounds(new, a, b, t)
    qa, qb, qs = _ref_rounds(ref, a, b, t)
    assert (new.roots() == ref.roots()).all()
    assert set(zip(ra.tolist(), rb.tolist())) == set(zip(qa.tolist(), qb.tolist()))
    M.heap_merges(new, ra, rb, rs, t)
    _ref_heap(ref, qa, qb, qs, t)
    assert (_partition(new) == _partition(ref)).all()
    assert len(np.unique(new.roots())) < len(x) * 0.8  # the case merged plenty


@pytest.mark.parametrize("seed", range(12))
def test_heap_alone_gives_the_partition_of_the_plain_loop(seed):
    # every pair through the heap, in tiny blocks: stale pairs, bulk pushes and re-scored pairs all occur
    x, c = _library(100 + seed)
    t = 0.4
    a, b, s = similar_pairs(x, t, k=12, exact=True)
    new, ref = _state(x, c), _state(x, c)
    roots = new.roots()
    ka, kb = M._dedupe(roots[a], roots[b], len(x))
    ks = _ref_scores(new, ka, kb)
    M.heap_merges(new, ka, kb, ks, t, block=7)
    _ref_heap(ref, ka, kb, ks, t)
    assert (_partition(new) == _partition(ref)).all()


def test_constraints_hold_after_the_merges():
    x, c = _library(7)
    st = _state(x, c)
    a, b, _ = similar_pairs(x, 0.4, k=12, exact=True)
    ra, rb, rs = M.rnn_rounds(st, a, b, 0.4)
    M.heap_merges(st, ra, rb, rs, 0.4)
    roots = st.roots()
    for r in np.unique(roots):
        faces = np.flatnonzero(roots == r)
        photos = [c.photo[i] for i in faces]
        assert len(photos) == len(set(photos))  # two faces of one photo never share a cluster
        people = {c.fixed[i] for i in faces} - {-1}
        assert len(people) <= 1
        assert not any(people & c.rejected.get(int(i), set()) for i in faces)


def test_indexed_dots_equal_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 64)).astype(np.float32)
    a, b = rng.integers(0, 500, 3000), rng.integers(0, 500, 3000)
    np.testing.assert_allclose(M._indexed_dots(x, a, b), np.einsum("ij,ij->i", x[a], x[b]), rtol=1e-5, atol=1e-5)
    assert M._indexed_dots(x, a[:0], b[:0]).shape == (0,)
