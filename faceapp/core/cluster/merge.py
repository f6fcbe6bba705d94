"""The merge engines of faceapp.core.cluster: vectorised rounds first, a best-first heap for the tail.

Average linkage is *reducible*: merging two clusters never brings a third closer than it was to
the nearer of the two. So every pair of reciprocal nearest neighbours (each the other's best
partner, above the threshold) can be merged at once, in any order, with the same result as the
one-merge-at-a-time algorithm (the idea behind the nearest-neighbour-chain algorithm). Each round
is a few numpy passes over the candidate pairs; rounds stop paying once few pairs merge, and the
exact heap loop finishes. Constraint checks run per merge, in Python, on the few merging pairs.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

try:  # faiss-cpu is a dependency (faceapp.core.knn_faiss); numpy does the same work where it is missing
    import faiss as _faiss
except ImportError:  # pragma: no cover
    _faiss = None

if TYPE_CHECKING:
    from faceapp.core.cluster.state import State

_CHUNK = 32_768  # rows gathered per scoring step: small enough to stay in cache
_HEAP_BLOCK = 131_072  # sorted pairs whose roots and scores are computed at once in heap_merges


def _pair_scores(sums: np.ndarray, size: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Average linkage of root pairs: sums[a]·sums[b] / (size[a]·size[b]) (float32 products)."""
    dots = _indexed_dots(sums, a, b)
    return dots / (size[a] * size[b])


def _indexed_dots(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x[a[i]]·x[b[i]] for every i: faiss's pairwise_indexed_inner_product reads the rows in place
    (no gathered copies: a third of numpy's time and memory traffic); numpy in blocks without faiss."""
    if _faiss is not None and x.dtype == np.float32 and x.flags.c_contiguous:
        a, b = np.ascontiguousarray(a, np.int64), np.ascontiguousarray(b, np.int64)
        out = np.empty(len(a), np.float32)
        if len(a):
            sp = _faiss.swig_ptr
            _faiss.pairwise_indexed_inner_product(x.shape[1], len(a), sp(x), sp(a), sp(x), sp(b), sp(out))
        return out
    out = np.empty(len(a), np.float32)
    for i in range(0, len(a), _CHUNK):
        aa, bb = a[i : i + _CHUNK], b[i : i + _CHUNK]
        out[i : i + _CHUNK] = np.einsum("ij,ij->i", x[aa], x[bb])
    return out


def _dedupe(a: np.ndarray, b: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    diff = lo != hi
    key = np.sort(lo[diff] * n + hi[diff])  # sort + neighbour compare: much faster than np.unique's hash here
    key = key[np.r_[True, key[1:] != key[:-1]]] if len(key) else key
    return key // n, key % n


def _best_partner(a: np.ndarray, b: np.ndarray, s: np.ndarray, n: int) -> np.ndarray:
    """best[r] = the partner of cluster r with the highest score (O(E), no sort)."""
    top = np.full(n, -np.inf)
    np.maximum.at(top, a, s)
    np.maximum.at(top, b, s)
    best = np.full(n, -1, np.int64)
    m = s == top[a]
    best[a[m]] = b[m]
    m = s == top[b]
    best[b[m]] = a[m]
    return best


def rnn_rounds(st: State, a: np.ndarray, b: np.ndarray, t: float, min_gain: float = 0.02,
               max_rounds: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge reciprocal-nearest pairs in rounds; returns the remaining root pairs and their scores.

    Only pairs touching a cluster that changed in the last round are re-scored.
    """
    n = len(st.parent)
    par = st.roots()
    if not (par == np.arange(n)).all():  # fixed faces were pre-joined: pairs may now repeat
        a, b = _dedupe(par[a], par[b], n)
    size = np.asarray(st.size, np.float64)
    s = _pair_scores(st.sums, size, a, b)
    keep = s >= t
    a, b, s = a[keep], b[keep], s[keep]
    roots_left = int((par == np.arange(n)).sum())
    for _ in range(max_rounds):
        if len(a) == 0:
            break
        best = _best_partner(a, b, s, n)
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
        ca, cb = _dedupe(a[touch], b[touch], n)
        cs = _pair_scores(st.sums, np.asarray(st.size, np.float64), ca, cb)
        keep = cs >= t
        a = np.concatenate([a[~touch], ca[keep]])
        b = np.concatenate([b[~touch], cb[keep]])
        s = np.concatenate([s[~touch], cs[keep]])
        if merged < min_gain * roots_left:
            break
    return a, b, s


def heap_merges(st: State, a: np.ndarray, b: np.ndarray, s: np.ndarray, t: float) -> None:
    """Exact best-first merges: initial pairs stream from a sorted list, re-scored pairs from a heap.

    A merged cluster's score to a third is a weighted average of the two old scores, so a stale key
    is an upper bound: pop, re-score, and merge only when the fresh score still leads.

    The sorted list is read in blocks whose roots and fresh scores are computed at once with numpy;
    a pair whose clusters changed since its block was scored (`touched`) is re-scored on its own.
    """
    order = np.argsort(-s, kind="stable")
    keys_np, a_np, b_np = s[order].astype(np.float64), a[order], b[order]
    del order
    keys = keys_np.tolist()
    m, p = len(keys), 0
    heap: list[tuple[float, int, int]] = []
    pending: dict[tuple[int, int], float] = {}  # root pair -> key of its entry in the heap
    sums, size, find = st.sums, st.size, st.find
    block = max(_HEAP_BLOCK, len(st.parent) // 8)
    lo = hi = 0
    bi: list[int] = []
    bj: list[int] = []
    bs: list[float] = []
    touched: set[int] = set()  # roots merged since the current block was scored
    while True:
        if heap and (p >= m or -heap[0][0] > keys[p]):
            negkey, i, j = heapq.heappop(heap)
            key = -negkey
            if pending.get((i, j)) == key:
                del pending[(i, j)]
            ri, rj = find(i), find(j)
            if ri == rj:
                continue
            score = float(sums[ri] @ sums[rj]) / (size[ri] * size[rj])
        elif p < m:
            if p >= hi:
                lo, hi = p, min(m, p + block)
                bi, bj, bs = _score_block(st, a_np[lo:hi], b_np[lo:hi])
                touched = set()
            key, ri, rj = keys[p], bi[p - lo], bj[p - lo]
            if ri in touched or rj in touched:
                ri, rj = find(ri), find(rj)
                if ri == rj:
                    p += 1
                    continue
                score = float(sums[ri] @ sums[rj]) / (size[ri] * size[rj])
            else:
                if ri == rj:
                    p += 1
                    continue
                score = bs[p - lo]
            p += 1
        else:
            break
        if key < t:
            break
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
        touched.add(ri)
        touched.add(rj)
        st.union(ri, rj)


def _score_block(st: State, a: np.ndarray, b: np.ndarray) -> tuple[list[int], list[int], list[float]]:
    """Current roots of a block of face pairs and their exact scores (lists, for the Python loop)."""
    roots = st.roots()
    ra, rb = roots[a], roots[b]
    sc = _pair_scores(st.sums, np.asarray(st.size, np.float64), ra, rb)
    return ra.tolist(), rb.tolist(), sc.tolist()
