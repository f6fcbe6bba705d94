"""Similar pairs and nearest neighbours of L2-normalised embeddings, without an N×N matrix.

All products are float32 and blocked: numpy's bundled OpenBLAS has segfaulted on float64 `X @ X.T`
for n ≥ 19,000 on this project's machines, and a dense 100k×100k matrix would not fit anyway.
Large sets use an inverted-file index (k-means lists, several probed per query), which finds
nearly all pairs above a threshold at a small fraction of the cost.
"""

from __future__ import annotations

import numpy as np

from faceapp.core import knn_faiss

EXACT_MAX = 30_000  # beyond this, similar_pairs switches to the inverted-file search
_BLOCK_CELLS = 64_000_000  # float32 cells per block product (256 MB)


def as_f32(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x, dtype=np.float32)


def _cap_per_row(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Keep the k most similar hits per row; only rows over the cap are sorted."""
    if k <= 0 or len(rows) == 0:
        return rows, cols, sims
    counts = np.bincount(rows)
    over = counts[rows] > k
    if not over.any():
        return rows, cols, sims
    r, c, s = rows[over], cols[over], sims[over]
    order = np.argsort(r.astype(np.float64) + (1.0 - s.astype(np.float64)) / 4.0)  # by row, best first
    r, c, s = r[order], c[order], s[order]
    start = np.searchsorted(r, r, side="left")
    keep = (np.arange(len(r)) - start) < k
    return (np.concatenate([rows[~over], r[keep]]), np.concatenate([cols[~over], c[keep]]),
            np.concatenate([sims[~over], s[keep]]))


def _symmetric_unique(rows: np.ndarray, cols: np.ndarray, sims: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    key = np.minimum(rows, cols).astype(np.int64) * n + np.maximum(rows, cols)
    del rows, cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    idx = order[first]
    del order
    key = key[first]
    return key // n, key % n, sims[idx]


def _exact_pairs(x: np.ndarray, threshold: float, k: int) -> tuple[np.ndarray, ...]:
    n = len(x)
    block = max(64, min(4096, _BLOCK_CELLS // max(n, 1)))
    out_r, out_c, out_s = [], [], []
    for i in range(0, n, block):
        s = x[i : i + block] @ x.T
        r, c = np.nonzero(s >= threshold)
        r_abs = r + i
        keep = r_abs != c
        r, c, r_abs = r[keep], c[keep], r_abs[keep]
        sims = s[r, c]
        r_abs, c, sims = _cap_per_row(r_abs, c, sims, k)
        out_r.append(r_abs)
        out_c.append(c)
        out_s.append(sims)
    return np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)


def add_by_group(sums: np.ndarray, codes: np.ndarray, x: np.ndarray) -> None:
    """sums[c] += x[i] for every i with codes[i] == c (sort + reduceat: far faster than np.add.at)."""
    if len(codes) == 0:
        return
    order = np.argsort(codes, kind="stable")
    c = codes[order]
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    sums[c[starts]] += np.add.reduceat(x[order], starts, axis=0)


def kmeans(x: np.ndarray, k: int, iters: int = 8, seed: int = 0, sample: int = 40_000) -> np.ndarray:
    """Spherical k-means centroids (k×D, unit norm) on a sample: coarse lists for the index."""
    rng = np.random.default_rng(seed)
    xs = x[rng.choice(len(x), min(sample, len(x)), replace=False)]
    c = xs[rng.choice(len(xs), k, replace=False)].copy()
    for _ in range(iters):
        a = np.argmax(xs @ c.T, axis=1)
        sums = np.zeros_like(c)
        add_by_group(sums, a, xs)
        empty = np.bincount(a, minlength=k) == 0
        sums[empty] = xs[rng.choice(len(xs), int(empty.sum()), replace=False)] if empty.any() else sums[empty]
        c = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return as_f32(c)


def top_lists(x: np.ndarray, centroids: np.ndarray, nprobe: int) -> np.ndarray:
    """Indices (N×nprobe) of each vector's nearest lists, computed in blocks."""
    out = np.empty((len(x), nprobe), np.int64)
    for i in range(0, len(x), 16384):
        s = x[i : i + 16384] @ centroids.T
        out[i : i + 16384] = np.argpartition(-s, nprobe - 1, axis=1)[:, :nprobe] if nprobe < s.shape[1] else np.argsort(-s, axis=1)
    return out


def _ivf_pairs(x: np.ndarray, threshold: float, k: int, nprobe: int) -> tuple[np.ndarray, ...]:
    n = len(x)
    nlist = int(min(4096, max(16, 2 * np.sqrt(n))))
    cent = kmeans(x, nlist)
    probes = top_lists(x, cent, nprobe)
    home = _home_blocked(x, cent)
    by_home = np.argsort(home, kind="stable")
    home_start = np.searchsorted(home[by_home], np.arange(nlist + 1))
    q_lists = probes.ravel()
    q_ids = np.repeat(np.arange(n), nprobe)
    by_q = np.argsort(q_lists, kind="stable")
    q_start = np.searchsorted(q_lists[by_q], np.arange(nlist + 1))
    out_r, out_c, out_s = [], [], []
    for li in range(nlist):
        members = by_home[home_start[li] : home_start[li + 1]]
        queries = q_ids[by_q[q_start[li] : q_start[li + 1]]]
        if len(members) == 0 or len(queries) == 0:
            continue
        s = x[queries] @ x[members].T
        r, c = _block_hits(s, threshold, k)
        qi, mi = queries[r], members[c]
        keep = qi != mi
        out_r.append(qi[keep])
        out_c.append(mi[keep])
        out_s.append(s[r, c][keep])
    r, c, s = np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_s)
    return _cap_per_row(r, c, s, k)


def _block_hits(s: np.ndarray, threshold: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of entries ≥ threshold, at most k per row (heavy rows cut by argpartition)."""
    hit = s >= threshold
    heavy = hit.sum(1) > k if k > 0 else np.zeros(len(s), bool)
    if not heavy.any():
        return np.nonzero(hit)
    hit[heavy] = False
    r, c = np.nonzero(hit)
    hr = np.flatnonzero(heavy)
    top = np.argpartition(-s[hr], k - 1, axis=1)[:, :k]
    rr = np.repeat(hr, k)
    cc = top.ravel()
    return np.concatenate([r, rr]), np.concatenate([c, cc])


def _home_blocked(x: np.ndarray, cent: np.ndarray) -> np.ndarray:
    return np.concatenate([np.argmax(x[i : i + 65536] @ cent.T, axis=1) for i in range(0, len(x), 65536)])


def similar_pairs(
    x: np.ndarray, threshold: float, k: int = 64, nprobe: int | None = None, exact: bool | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected pairs (i < j, sim) with cosine ≥ threshold, at most ~k per vector.

    Exact below EXACT_MAX vectors (or when asked), else an inverted-file search probing `nprobe` lists.
    """
    x = as_f32(x)
    n = len(x)
    if n < 2:
        z = np.zeros(0, np.int64)
        return z, z, np.zeros(0, np.float32)
    use_exact = exact if exact is not None else n <= EXACT_MAX
    if use_exact:
        r, c, s = _exact_pairs(x, threshold, k)
    elif knn_faiss.available():
        r, c, s = knn_faiss.knn_pairs(x, threshold, k, nprobe or knn_faiss.NPROBE)
    else:
        r, c, s = _ivf_pairs(x, threshold, k, nprobe or 8)
    return _symmetric_unique(r, c, s, n)


def top2_by_group(q: np.ndarray, protos: np.ndarray, groups: np.ndarray, block: int = 2048) -> tuple[np.ndarray, ...]:
    """For each query: (best group, its sim, runner-up group, its sim) over prototype vectors.

    A group (a person) may own several prototypes; the runner-up is the best *other* group.
    Groups are small non-negative ints. Empty prototype sets give group -1 and sim -1.
    """
    q, protos = as_f32(q), as_f32(protos)
    nq = len(q)
    g1 = np.full(nq, -1, np.int64)
    g2 = np.full(nq, -1, np.int64)
    s1 = np.full(nq, -1.0, np.float32)
    s2 = np.full(nq, -1.0, np.float32)
    if len(protos) == 0 or nq == 0:
        return g1, s1, g2, s2
    step = max(1, min(block, _BLOCK_CELLS // max(len(protos), 1)))
    for i in range(0, nq, step):
        s = q[i : i + step] @ protos.T
        rows = np.arange(len(s))
        i1 = np.argmax(s, axis=1)
        g1[i : i + step], s1[i : i + step] = groups[i1], s[rows, i1]
        s[groups[None, :] == groups[i1][:, None]] = -np.inf  # the best person's other prototypes too
        i2 = np.argmax(s, axis=1)
        v2 = s[rows, i2]
        has = np.isfinite(v2)
        g2[i : i + step] = np.where(has, groups[i2], -1)
        s2[i : i + step] = np.where(has, v2, -1.0)
    return g1, s1, g2, s2
