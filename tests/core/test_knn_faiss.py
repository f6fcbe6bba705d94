"""The faiss neighbour search: each face's best partners above a threshold, like the exact search."""

import numpy as np
import pytest

from faceapp.bench.cluster_synth import library
from faceapp.core import knn_faiss
from faceapp.core.knn import similar_pairs

pytestmark = pytest.mark.skipif(not knn_faiss.available(), reason="faiss-cpu is not installed")


def _exact_top(x: np.ndarray, t: float, k: int) -> set[tuple[int, int]]:
    s = x @ x.T
    np.fill_diagonal(s, -9)
    top = np.argsort(-s, axis=1)[:, :k]
    return {(i, int(j)) for i in range(len(x)) for j in top[i] if s[i, j] >= t}


def test_knn_pairs_find_nearly_every_best_partner_with_exact_cosines():
    x, _ = library(6000, seed=3)
    t, k = 0.37, 8
    r, c, s = knn_faiss.knn_pairs(x, t, k, nprobe=4)
    assert (r != c).all() and (s >= t).all()
    assert np.bincount(r).max() <= k
    np.testing.assert_allclose(s, np.einsum("ij,ij->i", x[r], x[c]), atol=1e-5)
    exact = _exact_top(x, t, k)
    got = set(zip(r.tolist(), c.tolist(), strict=True))
    assert len(got & exact) >= 0.9 * len(exact)


def test_similar_pairs_through_faiss_are_undirected_and_unique():
    x, _ = library(4000, seed=5)
    a, b, s = similar_pairs(x, 0.37, k=8, exact=False)
    assert (a < b).all()
    assert len(set(zip(a.tolist(), b.tolist(), strict=True))) == len(a)
    np.testing.assert_allclose(s, np.einsum("ij,ij->i", x[a], x[b]), atol=1e-5)


def test_empty_and_tiny_inputs():
    x = np.eye(3, 16, dtype=np.float32)
    a, b, s = similar_pairs(x, 0.5, k=4, exact=False)  # no pair reaches the threshold
    assert len(a) == len(b) == len(s) == 0


def test_without_faiss_the_own_inverted_file_answers(monkeypatch):
    from faceapp.core import knn

    monkeypatch.setattr(knn_faiss, "available", lambda: False)
    x, _ = library(3000, seed=2)
    a, b, s = knn.similar_pairs(x, 0.37, k=8, exact=False)
    ea, eb, _ = knn.similar_pairs(x, 0.37, k=8, exact=True)
    assert (s >= 0.37).all() and len(a) >= 0.8 * len(ea)
