"""Each face's nearest partners above a threshold through faiss (faiss-cpu): the big-library path.

faiss (Meta's similarity-search library, MIT) does the inverted-file search in C++ with a bounded
heap per query, so memory stays at N×k results whatever the library's shape: a person with tens of
thousands of faces no longer makes a dense hit matrix. Coarse lists: faiss k-means on a sample;
each query probes `nprobe` lists; scores are inner products of float32 unit vectors (= cosines).
faiss runs locally and opens no network connection. When faiss is not importable, the caller uses
its own inverted-file search (faceapp.core.knn).
"""

from __future__ import annotations

import numpy as np

QUERY_BLOCK = 65_536  # queries per coarse search call: bounds the result buffers
TRAIN_PER_LIST = 40  # k-means sample per coarse list (faiss wants ≥ 39)
LIST_FACTOR = 2.0  # coarse lists: this × sqrt(N) (as the own inverted file)
NPROBE = 4  # lists each face searches (the clustering's pass over cluster means recovers what it misses)


def available() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


def knn_pairs(x: np.ndarray, threshold: float, k: int, nprobe: int = NPROBE,
              nlist: int | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed (query, neighbour, cosine) with cosine ≥ threshold, each query's ≤ k best (self left out).

    x: N×D float32, C-contiguous, unit rows. Indices are int32 (N < 2**31), cosines float32.
    """
    import faiss

    n, d = x.shape
    nlist = nlist or int(max(1, min(n // TRAIN_PER_LIST, LIST_FACTOR * np.sqrt(n))))
    nprobe = min(nprobe, nlist)
    rng = np.random.default_rng(seed)
    km = faiss.Kmeans(d, nlist, niter=10, spherical=True, seed=seed, verbose=False)
    km.train(x[np.sort(rng.choice(n, min(n, nlist * TRAIN_PER_LIST), replace=False))])
    coarse = faiss.IndexFlatIP(d)
    coarse.add(km.centroids)
    probes = np.empty((n, nprobe), np.int32)
    for i in range(0, n, QUERY_BLOCK):
        probes[i : i + QUERY_BLOCK] = coarse.search(x[i : i + QUERY_BLOCK], nprobe)[1]
    del coarse, km
    home = probes[:, 0]
    members = np.argsort(home, kind="stable").astype(np.int32)
    m_start = np.searchsorted(home[members], np.arange(nlist + 1))
    flat = probes.ravel()
    del probes, home
    by_list = np.argsort(flat, kind="stable")
    q_start = np.searchsorted(flat[by_list], np.arange(nlist + 1))
    del flat
    queries = (by_list // nprobe).astype(np.int32)
    del by_list
    best_s = np.full((n, k), -np.inf, np.float32)  # each face's k best partners so far, any order
    best_i = np.full((n, k), -1, np.int32)
    for li in range(nlist):
        mem = members[m_start[li] : m_start[li + 1]]
        qs = queries[q_start[li] : q_start[li + 1]]
        if len(mem) == 0 or len(qs) == 0:
            continue
        kk = min(k + 1, len(mem))
        s, j = faiss.knn(x[qs], x[mem], kk, metric=faiss.METRIC_INNER_PRODUCT)
        j = mem[j]
        s[(j == qs[:, None]) | (s < threshold)] = -np.inf
        hit = np.isfinite(s).any(axis=1)
        if not hit.any():
            continue
        qs, s, j = qs[hit], s[hit], j[hit]
        cs = np.concatenate([best_s[qs], s], axis=1)
        ci = np.concatenate([best_i[qs], j], axis=1)
        top = np.argpartition(-cs, k - 1, axis=1)[:, :k]
        best_s[qs] = np.take_along_axis(cs, top, axis=1)
        best_i[qs] = np.take_along_axis(ci, top, axis=1)
    del members, queries
    keep = np.isfinite(best_s)
    rows = np.broadcast_to(np.arange(n, dtype=np.int32)[:, None], (n, k))[keep]
    return rows, best_i[keep], best_s[keep]
