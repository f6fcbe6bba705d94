"""Lone pairs that chance explains go unsorted; real pairs, big clusters and decisions stay."""

from __future__ import annotations

import numpy as np

from faceapp.core.cluster import ClusterParams, Constraints, cluster
from faceapp.core.cluster.chance import far_of
from faceapp.core.metrics import threshold_at_far

FARS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def _strangers(n: int, dim: int, seed: int) -> np.ndarray:
    return _unit(np.random.default_rng(seed).normal(size=(n, dim)))


def _curve(dim: int) -> list[list[float]]:
    """The FAR curve a calibration would measure on strangers of this dimension."""
    x = _strangers(1500, dim, seed=99)
    s = (x @ x.T)[np.triu_indices(len(x), 1)]
    return [[f, threshold_at_far(s, f)] for f in FARS]


def _with_pairs(strangers: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k real pairs (two close photos of one person) appended after the strangers."""
    rng = np.random.default_rng(seed)
    c = _strangers(k, strangers.shape[1], seed + 1)
    return np.vstack([strangers, _unit(np.repeat(c, 2, axis=0) + 0.05 * rng.normal(size=(2 * k, c.shape[1])))])


def test_far_of_reads_the_curve_and_extends_its_ends():
    curve = [[1e-2, 0.3], [1e-3, 0.4], [1e-4, 0.5]]
    f = far_of(np.array([0.3, 0.35, 0.5, 0.6, 0.2]), curve)
    assert np.allclose(f[[0, 2]], [1e-2, 1e-4])
    assert np.isclose(f[1], 10**-2.5)
    assert f[3] < 1e-4 and np.isclose(f[3], 1e-5)  # past the strictest point: along the last segment
    assert f[4] > 1e-2 and f[4] <= 1.0


def test_strangers_pairs_go_unsorted_real_pairs_stay():
    dim = 16
    curve = _curve(dim)
    t = dict((f, c) for f, c in curve)[1e-3]
    x = _with_pairs(_strangers(1200, dim, seed=1), 20, seed=2)
    n_strangers = 1200
    plain = cluster(x, ClusterParams(threshold=t)).labels
    tested = cluster(x, ClusterParams(threshold=t, far_curve=curve)).labels
    assert (plain[:n_strangers] >= 0).sum() >= 100  # chance pairs at FAR 1e-3 among 1,200 strangers
    assert (tested[:n_strangers] >= 0).sum() <= (plain[:n_strangers] >= 0).sum() // 4
    real = tested[n_strangers:].reshape(-1, 2)
    assert (real[:, 0] >= 0).all() and (real[:, 0] == real[:, 1]).all()  # every real pair kept


def test_a_library_of_real_pairs_keeps_them():
    dim = 16
    curve = _curve(dim)
    t = dict((f, c) for f, c in curve)[1e-3]
    x = _with_pairs(_strangers(30, dim, seed=3), 60, seed=4)
    plain = cluster(x, ClusterParams(threshold=t)).labels
    tested = cluster(x, ClusterParams(threshold=t, far_curve=curve)).labels
    assert (tested == plain).all()


def test_a_pair_holding_a_decided_face_is_never_dissolved():
    dim = 16
    curve = _curve(dim)
    t = dict((f, c) for f, c in curve)[1e-3]
    x = _strangers(1200, dim, seed=5)
    plain = cluster(x, ClusterParams(threshold=t)).labels
    sizes = np.bincount(plain[plain >= 0])
    pair = np.flatnonzero(plain == int(np.flatnonzero(sizes == 2)[0]))
    fixed = np.full(len(x), -1)
    fixed[pair[0]] = 7
    free = cluster(x, ClusterParams(threshold=t, far_curve=curve)).labels
    res = cluster(x, ClusterParams(threshold=t, far_curve=curve), Constraints(fixed=fixed))
    assert free[pair[0]] < 0 or free[pair[0]] == free[pair[1]]
    assert res.labels[pair[0]] >= 0 and res.labels[pair[0]] == res.labels[pair[1]]
    assert res.person[int(res.labels[pair[0]])] == 7
