"""Miners pick exactly the triplets FaceNet / batch-hard define on a hand-made batch; P×K batches."""

from __future__ import annotations

import math

import numpy as np
import torch

from trainer.miners import all_pairs, batch_hard, offline_triplets, semi_hard
from trainer.samplers import PKSampler, ShuffleSampler, TripletBatches


def _points(angles_deg: list[float]) -> torch.Tensor:
    """Unit vectors on a circle: squared distance 2 − 2·cos(Δangle), easy to reason about."""
    a = torch.tensor([math.radians(v) for v in angles_deg])
    return torch.stack([torch.cos(a), torch.sin(a)], 1)


# anchor 0 at 0°, its positive 1 at 20°; negatives 2 at 25° (closer than the positive: hard),
# 3 at 30° (beyond the positive, within margin 0.2: semi-hard), 4 at 90° (easy)
X = _points([0.0, 20.0, 25.0, 30.0, 90.0])
Y = torch.tensor([0, 0, 1, 2, 3])


def test_semi_hard_picks_negatives_beyond_the_positive_within_the_margin() -> None:
    a, p, n = semi_hard(X, Y, margin=0.2)
    got = set(zip(a.tolist(), p.tolist(), n.tolist(), strict=False))
    # anchor 0: d(0,1)=0.121; d(0,2)=0.188 ✓ (0.121<0.188<0.321), d(0,3)=0.268 ✓, d(0,4)=2 ✗
    # anchor 1 (20°): d(1,0)=0.121; d(1,2)=0.0076 ✗ (closer), d(1,3)=0.030 ✗, d(1,4)=1.316 ✗
    assert got == {(0, 1, 2), (0, 1, 3)}


def test_batch_hard_picks_farthest_positive_and_nearest_negative() -> None:
    x = _points([0.0, 20.0, 60.0, 25.0, 100.0, 170.0])
    y = torch.tensor([0, 0, 0, 1, 1, 2])
    a, p, n = batch_hard(x, y)
    got = {int(i): (int(j), int(k)) for i, j, k in zip(a, p, n, strict=False)}
    assert got[0] == (2, 3)  # farthest positive 60°, nearest negative 25°
    assert got[1] == (2, 3)  # from 20°: positives 0° and 60° → 60°; nearest negative 25°
    assert got[3] == (4, 1)  # from 25°: positive 100°; nearest negative 20°
    assert 5 not in got  # no positive for the lone 170° face


def test_all_pairs_counts() -> None:
    a1, p, a2, n = all_pairs(torch.tensor([0, 0, 1, 1, 1]))
    assert len(a1) == 1 + 3 and len(a2) == 6
    assert all(int(i) < int(j) for i, j in zip(a1, p, strict=False))


def test_offline_triplets_are_valid() -> None:
    a, p, n = offline_triplets(X, Y, margin=0.2)
    assert len(a) == 2  # one per anchor–positive pair
    assert torch.all(Y[a] == Y[p]) and torch.all(Y[a] != Y[n])


def test_pk_sampler_gives_p_people_k_faces() -> None:
    labels = np.repeat(np.arange(10), [5, 5, 5, 5, 5, 5, 5, 5, 2, 1])
    s = PKSampler(labels, p=4, k=3, batches=20, seed=1)
    for b in s:
        assert len(b) == 12
        counts = np.bincount(labels[b], minlength=10)
        assert sorted(counts[counts > 0].tolist()) == [3, 3, 3, 3]


def test_shuffle_and_triplet_batches() -> None:
    seen = np.concatenate(list(ShuffleSampler(10, 4)))
    assert len(seen) == 8 and len(set(seen.tolist())) == 8
    tb = list(TripletBatches(np.arange(12).reshape(4, 3), per_batch=2))
    assert len(tb) == 2 and all(len(b) == 6 and b[1] == b[0] + 1 for b in tb)
