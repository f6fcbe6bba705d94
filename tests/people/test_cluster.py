"""Constrained average linkage: equals exact average linkage, honours every constraint."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from faceapp.bench.cluster_synth import identities
from faceapp.core.cluster import ClusterParams, Constraints, cluster, threshold_from_calibration
from faceapp.core.knn import similar_pairs, top2_by_group
from faceapp.core.metrics import bcubed
from faceapp.core.prototypes import group_prototypes


def _same_partition(a, b) -> bool:
    return bcubed(a, b) == pytest.approx((1.0, 1.0, 1.0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equals_exact_average_linkage(seed):
    x, _ = identities(12, 6, dim=16, spread=0.9, seed=seed)
    t = 0.45
    ours = cluster(x, ClusterParams(threshold=t, min_size=1, k=1000)).labels
    ref = fcluster(linkage(x.astype(np.float64), "average", metric="cosine"), 1 - t, criterion="distance")
    assert _same_partition(ref, ours)
    assert len(set(ours.tolist())) > 3  # not a trivial partition


def test_min_size_makes_unsorted_and_scores():
    x, y = identities(5, 4, seed=3)
    extra = np.eye(32, dtype=np.float32)[:3]  # three faces unlike anyone
    res = cluster(np.vstack([x, extra]), ClusterParams(threshold=0.5, min_size=2))
    assert (res.labels[-3:] == -1).all()
    assert _same_partition(y, res.labels[:-3])
    assert (res.scores[:-3] > 0.5).all() and (res.scores[-3:] == 0).all()


def test_same_photo_never_shares_a_cluster():
    x, y = identities(3, 6, seed=4)
    photo = np.arange(len(x))
    photo[1] = photo[0]  # faces 0 and 1 (same person) in one photo
    photo[7] = photo[2]
    res = cluster(x, ClusterParams(threshold=0.5), Constraints(photo=photo))
    assert res.labels[0] != res.labels[1] or res.labels[0] == -1
    for p in set(photo.tolist()):
        lab = res.labels[photo == p]
        lab = lab[lab >= 0]
        assert len(lab) == len(set(lab.tolist()))


def test_fixed_faces_pull_together_and_keep_apart():
    x, y = identities(2, 8, seed=5)
    fixed = np.full(len(x), -1)
    fixed[0], fixed[8] = 100, 100  # user says faces of two people are one person: must-link wins
    fixed[1] = 200  # and face 1 belongs to someone else: cannot join 100
    res = cluster(x, ClusterParams(threshold=0.5), Constraints(fixed=fixed))
    assert res.labels[0] == res.labels[8] >= 0
    assert res.labels[1] != res.labels[0]
    assert res.person[int(res.labels[0])] == 100 and res.person[int(res.labels[1])] == 200


def test_rejected_person_and_soft_groups():
    x, y = identities(1, 10, seed=6)
    fixed = np.full(len(x), -1)
    fixed[0] = 7
    res = cluster(x, ClusterParams(threshold=0.5), Constraints(fixed=fixed, rejected={3: {7}}))
    assert res.labels[3] != res.labels[0]
    group = np.full(len(x), -1)
    group[:5], group[5:] = 1, 2  # two named people: never merged by clustering
    res = cluster(x, ClusterParams(threshold=0.5), Constraints(group=group))
    assert not set(res.labels[:5].tolist()) & set(res.labels[5:].tolist())


def test_inverted_file_finds_nearly_all_pairs():
    x, _ = identities(300, 10, dim=32, spread=0.5, seed=7)
    a1, b1, _ = similar_pairs(x, 0.5, k=64, exact=True)
    a2, b2, s2 = similar_pairs(x, 0.5, k=64, exact=False)
    exact = set(zip(a1.tolist(), b1.tolist(), strict=True))
    approx = set(zip(a2.tolist(), b2.tolist(), strict=True))
    assert approx <= exact and len(approx) >= 0.95 * len(exact)
    assert (s2 >= 0.5).all()


def test_threshold_from_calibration_is_strict():
    assert threshold_from_calibration({"1e-3": 0.4}) == 0.4
    with pytest.raises(ValueError):
        threshold_from_calibration({"1e-2": 0.3}, "1e-3")


def test_top2_by_group_matches_brute_force():
    rng = np.random.default_rng(8)
    protos = rng.normal(size=(20, 8)).astype(np.float32)
    groups = np.repeat(np.arange(7), 3)[:20]
    q = rng.normal(size=(30, 8)).astype(np.float32)
    g1, s1, g2, s2 = top2_by_group(q, protos, groups)
    s = q @ protos.T
    for i in range(len(q)):
        best = {g: s[i, groups == g].max() for g in set(groups.tolist())}
        order = sorted(best, key=best.get, reverse=True)
        assert g1[i] == order[0] and s1[i] == pytest.approx(best[order[0]], abs=1e-5)
        assert g2[i] == order[1] and s2[i] == pytest.approx(best[order[1]], abs=1e-5)


def test_prototypes_cover_two_looks_of_one_person():
    x, y = identities(2, 20, seed=9)  # "person 0" = two looks (child/adult): labels 0 and 1 both owned by 0
    protos, owner = group_prototypes(x, np.zeros(len(x), np.int64), levels=2)
    assert (owner == 0).all() and 2 <= len(protos) <= 4
    # every face has a prototype closer than the single mean would be
    mean = x.mean(0)
    mean /= np.linalg.norm(mean)
    assert ((x @ protos.T).max(1) > x @ mean).mean() > 0.9
