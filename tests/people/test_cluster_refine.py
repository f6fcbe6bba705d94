"""The refinement after linkage: converges to a vote fixed point and honours every constraint."""

from __future__ import annotations

import numpy as np
import pytest

from faceapp.bench.cluster_synth import identities
from faceapp.core.cluster import ClusterParams, Constraints, cluster, refine_threshold_from_calibration
from faceapp.core.cluster.refine import SELF_VOTE, refine
from faceapp.core.knn import similar_pairs
from faceapp.core.metrics import bcubed


def _votes(i, lab, x, t):
    """Brute force: vote total per cluster for face i (strong edges + its own vote)."""
    v = {int(lab[i]): SELF_VOTE}
    for j in range(len(x)):
        s = float(x[i] @ x[j])
        if j != i and s >= t:
            v[int(lab[j])] = v.get(int(lab[j]), 0.0) + s
    return v


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_refine_reaches_a_vote_fixed_point(seed):
    x, _ = identities(6, 8, dim=16, spread=1.0, seed=seed)
    t = 0.5
    rng = np.random.default_rng(seed)
    start = rng.integers(0, 10, len(x))  # a poor starting partition
    a, b, s = similar_pairs(x, t, k=1000)
    lab = refine(start, a, b, s, t, tags={})
    assert (lab != start).any()
    for i in range(len(x)):  # no face has a cluster with strictly more votes than its own
        v = _votes(i, lab, x, t)
        assert max(v.values()) <= v[int(lab[i])] + 1e-6


def test_refine_ignores_pairs_below_its_threshold():
    x, _ = identities(3, 5, dim=16, spread=0.8, seed=3)
    a, b, s = similar_pairs(x, 0.0, k=1000)
    start = np.arange(len(x)) % 4
    assert (refine(start, a, b, s, 1.01, tags={}) == start).all()


def test_refine_honours_photos_fixed_and_rejected():
    x, y = identities(2, 8, dim=16, spread=0.6, seed=4)
    start = y.copy()
    start[[1, 2, 3]] = 5  # three faces of person 0 split off in their own cluster
    a, b, s = similar_pairs(x, 0.3, k=1000)
    free = refine(start, a, b, s, 0.3, tags={})
    assert (free[[1, 2, 3]] == 0).all()  # votes bring them back
    photo = np.arange(len(x))
    photo[1] = photo[4]  # face 1 shares a photo with face 4 (in cluster 0)
    movable = np.ones(len(x), bool)
    movable[2] = False  # face 2 is fixed where it is
    lab = refine(start, a, b, s, 0.3, tags={0: {70}}, photo=photo, movable=movable, refused={3: {70}})
    assert lab[1] != lab[4]
    assert lab[2] == 5
    assert lab[3] != 0  # rejected from person 70, who is in cluster 0


@pytest.mark.parametrize("seed", [0, 1])
def test_cluster_with_refinement_keeps_every_constraint(seed):
    x, y = identities(4, 10, dim=16, spread=1.0, seed=seed)
    n = len(x)
    rng = np.random.default_rng(seed)
    photo = rng.integers(0, n // 2, n)  # many photos with two faces
    fixed = np.full(n, -1)
    fixed[[0, 10]] = 100
    fixed[1] = 200
    group = np.full(n, -1)
    group[[20, 21]] = 300
    group[30] = 400
    rejected = {5: {100}, 6: {300}}
    c = Constraints(photo=photo, fixed=fixed, group=group, rejected=rejected)
    res = cluster(x, ClusterParams(threshold=0.5, refine=0.55), c)
    lab = res.labels
    for p in set(photo.tolist()):
        got = lab[(photo == p) & (lab >= 0)]
        assert len(got) == len(set(got.tolist()))
    assert lab[0] == lab[10] >= 0 and lab[1] != lab[0]
    assert res.person[int(lab[0])] == 100 and res.person[int(lab[1])] == 200
    assert lab[5] == -1 or lab[5] != lab[0]
    assert lab[6] == -1 or lab[6] not in {lab[20], lab[21]}
    assert lab[30] == -1 or lab[30] not in {lab[20], lab[21]}


@pytest.mark.parametrize("seed", [0, 2, 4])
def test_refinement_rejoins_split_people_without_losing_precision(seed):
    x, y = identities(10, 12, dim=32, spread=1.1, seed=seed)  # loose people: linkage splits them
    plain = cluster(x, ClusterParams(threshold=0.45)).labels
    refined = cluster(x, ClusterParams(threshold=0.45, refine=0.55)).labels
    p0, r0, _ = bcubed(y, plain)
    p1, r1, _ = bcubed(y, refined)
    assert r1 > r0
    assert p1 >= p0 - 0.01


def test_refine_threshold_from_calibration():
    th = {"1e-2": 0.30, "1e-3": 0.37, "1e-4": 0.42}
    assert refine_threshold_from_calibration(th) == 0.42
    assert refine_threshold_from_calibration(th, "1e-2") == 0.37
    assert refine_threshold_from_calibration(th, "1e-4") is None
