"""The merge engines of faceapp.core.cluster: vectorised rounds first, a best-first heap for the tail.

Average linkage is *reducible*: merging two clusters never brings a third closer than it was to
the nearer of the two. So every pair of reciprocal nearest neighbours (each the other's best
partner, above the threshold) can be merged at once, in any order, with the same result as the
one-merge-at-a-time algorithm (the idea behind the nearest-neighbour-chain algorithm). Each round
is a few numpy passes over the candidate pairs; rounds stop paying once few pairs merge, and the
exact heap loop finishes. Constraint checks run per merge, in Python, on the few merging pairs.

On the capped face graph (each face's k best partners) this holds only nearly: a merged cluster
can reach a third through an edge neither half's best pair saw, so rounds run longer only at a
cost in F (1M faces, stopping under 0.5 % instead of 2 %: F 0.958 against 0.960), and the heap
stays the reference order. Both engines score pairs in bulk (faiss reads the sum rows in place);
tests/core/test_cluster_merge.py holds them to the plain one-pair loops they replaced.
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
_HEAP_BLOCK = 4_096  # sorted pairs whose roots and scores heap_merges computes at once


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
    up = np.arange(n)  # root -> the root it joined (pairs always hold roots, so one step suffices)
    # Pairs stay in place between rounds (no E-sized copies): a pair that went inside one cluster,
    # repeats another or fell below the threshold is dead (score -inf) until the arrays are compacted.
    a, b, s = a.copy(), b.copy(), s.astype(np.float64)
    live_n = len(a)
    for _ in range(max_rounds):
        if live_n == 0:
            break
        best = _best_partner(a, b, s, n)
        rnn = np.flatnonzero((best[a] == b) & (best[b] == a) & (s > -np.inf))
        won: list[int] = []
        lost: list[int] = []
        # reciprocal pairs are disjoint, so their conflicts don't depend on each other's merges
        for k, i, j in zip(rnn.tolist(), a[rnn].tolist(), b[rnn].tolist(), strict=True):
            if st.conflict(i, j):
                s[k] = -np.inf  # constraints only grow: this pair never merges
                live_n -= 1
                continue
            w = st.union(i, j, add_sums=False)
            won.append(w)
            lost.append(i + j - w)
        if not won:
            break
        w_arr, l_arr = np.asarray(won, np.int64), np.asarray(lost, np.int64)
        st.sums[w_arr] += st.sums[l_arr]
        size[w_arr] += size[l_arr]
        up[l_arr] = w_arr
        roots_left -= len(won)
        changed = np.zeros(n, bool)
        changed[w_arr] = True
        changed[l_arr] = True
        touch = np.flatnonzero((changed[a] | changed[b]) & (s > -np.inf))
        live_n -= len(touch)
        ta, tb = up[a[touch]], up[b[touch]]
        lo, hi = np.minimum(ta, tb), np.maximum(ta, tb)
        order = np.argsort(lo * n + hi, kind="stable")
        touch, lo, hi = touch[order], lo[order], hi[order]
        first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] & (lo != hi)
        ts = np.full(len(touch), -np.inf)
        ts[first] = _pair_scores(st.sums, size, lo[first], hi[first])
        ts[ts < t] = -np.inf
        a[touch], b[touch], s[touch] = lo, hi, ts
        live_n += int((ts > -np.inf).sum())
        if live_n < len(s) // 2:
            keep = s > -np.inf
            a, b, s = a[keep], b[keep], s[keep]
        if len(won) < min_gain * roots_left:
            break
    keep = s > -np.inf
    return a[keep], b[keep], s[keep]


def heap_merges(st: State, a: np.ndarray, b: np.ndarray, s: np.ndarray, t: float, block: int = _HEAP_BLOCK) -> None:
    """Exact best-first merges: initial pairs stream from a sorted list, re-scored pairs from a heap.

    A merged cluster's score to a third is a weighted average of the two old scores, so a stale key
    is an upper bound: pop, re-score, and merge only when the fresh score still leads.

    The sorted list is read in small blocks whose current roots and scores numpy computes at once:
    pairs already inside one cluster or below the threshold go, pairs whose score fell since their
    key go to the heap with the fresh score (it pops them where the loop would have pushed them), and
    only the rest are walked in Python; a pair whose clusters merged since its block was scored
    (`touched`) is re-scored on its own. `a`, `b` must be roots (as rnn_rounds returns them).
    """
    order = np.argsort(-s, kind="stable")
    keys_np, a_np, b_np = s[order].astype(np.float64), a[order], b[order]
    del order
    m = len(keys_np)
    heap: list[tuple[float, int, int]] = []
    pending: dict[tuple[int, int], float] = {}  # root pair -> key of its entry in the heap
    sums, size, find = st.sums, st.size, st.find
    dot = np.dot  # 1-D float32 dot: same result as `@`, a third of its call overhead
    up = np.arange(len(st.parent))  # root at the start -> the root it joined (followed to the end per block)
    size_np = np.asarray(size, np.float64)
    won: list[int] = []
    lost: list[int] = []
    hi = 0  # sorted list read up to here
    keys: list[float] = []
    bi: list[int] = []
    bj: list[int] = []
    bs: list[float] = []
    p = nk = 0  # walk position in the block's remaining pairs, their count
    after = -2.0  # key of the first pair after the block
    touched: set[int] = set()  # roots merged since the current block was scored
    while True:
        if p >= nk and hi < m:
            if won:
                w_arr, l_arr = np.asarray(won, np.int64), np.asarray(lost, np.int64)
                up[l_arr] = w_arr
                size_np[w_arr] = [size[w] for w in won]
                won.clear()
                lost.clear()
            lo, hi = hi, min(m, hi + block)
            keys, bi, bj, bs = _block(sums, size_np, up, keys_np[lo:hi], a_np[lo:hi], b_np[lo:hi], t, heap, pending)
            p, nk, touched = 0, len(keys), set()
            after = float(keys_np[hi]) if hi < m else -2.0
            continue
        if heap and (p >= nk or -heap[0][0] > keys[p]):
            negkey, i, j = heapq.heappop(heap)
            key = -negkey
            if pending.get((i, j)) == key:
                del pending[(i, j)]
            ri, rj = find(i), find(j)
            if ri == rj:
                continue
            score = float(dot(sums[ri], sums[rj])) / (size[ri] * size[rj])
        elif p < nk:
            key, ri, rj = keys[p], bi[p], bj[p]
            p += 1
            if ri in touched or rj in touched:
                ri, rj = find(ri), find(rj)
                if ri == rj:
                    continue
                score = float(dot(sums[ri], sums[rj])) / (size[ri] * size[rj])
            else:
                score = bs[p - 1]
        else:
            break
        if key < t:
            break
        if score < key - 1e-9:
            nxt = max(keys[p] if p < nk else after, -heap[0][0] if heap else -2.0)
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
        w = st.union(ri, rj)
        won.append(w)
        lost.append(ri + rj - w)


def _block(sums: np.ndarray, size: np.ndarray, up: np.ndarray, key: np.ndarray, a: np.ndarray, b: np.ndarray,
           t: float, heap: list[tuple[float, int, int]], pending: dict[tuple[int, int], float]) -> tuple[list, ...]:
    """Score a block of the sorted list on the current roots; push its stale pairs onto the heap;
    return (keys, root a, root b, score) of the pairs left for the walk."""
    ra, rb = _follow(up, a), _follow(up, b)
    sc = _pair_scores(sums, size, ra, rb)
    live = (ra != rb) & (sc >= t)
    stale = live & (sc < key - 1e-9)
    if stale.any():
        lo, hi, f = np.minimum(ra[stale], rb[stale]), np.maximum(ra[stale], rb[stale]), sc[stale]
        order = np.lexsort((-f, hi, lo))  # each root pair once, at its best score
        lo, hi, f = lo[order], hi[order], f[order]
        first = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
        get, push = pending.get, heapq.heappush
        for fi, i, j in zip(f[first].tolist(), lo[first].tolist(), hi[first].tolist(), strict=True):
            if get((i, j), -2.0) < fi:
                pending[(i, j)] = fi
                push(heap, (-fi, i, j))
    walk = live & ~stale
    return key[walk].tolist(), ra[walk].tolist(), rb[walk].tolist(), sc[walk].tolist()


def _follow(up: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Current roots of former roots `r` through the join map `up`."""
    while True:
        nxt = up[r]
        if (nxt == r).all():
            return r
        r = nxt
