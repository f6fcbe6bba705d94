"""Metrics against brute-force definitions on small random labelings."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from faceapp.core import metrics


def _brute_bcubed(t, p):
    n = len(t)
    p = [x if x >= 0 else f"noise{i}" for i, x in enumerate(p)]
    prec = np.mean([sum(p[j] == p[i] and t[j] == t[i] for j in range(n)) / sum(p[j] == p[i] for j in range(n)) for i in range(n)])
    rec = np.mean([sum(p[j] == p[i] and t[j] == t[i] for j in range(n)) / sum(t[j] == t[i] for j in range(n)) for i in range(n)])
    return prec, rec, 2 * prec * rec / (prec + rec)


def _brute_pairs(t, p):
    p = [x if x >= 0 else f"noise{i}" for i, x in enumerate(p)]
    pairs = list(itertools.combinations(range(len(t)), 2))
    tp = sum(p[i] == p[j] and t[i] == t[j] for i, j in pairs)
    pp = sum(p[i] == p[j] for i, j in pairs)
    tt = sum(t[i] == t[j] for i, j in pairs)
    prec, rec = tp / pp, tp / tt
    return prec, rec, 2 * prec * rec / (prec + rec)


@pytest.mark.parametrize("seed", range(5))
def test_bcubed_and_pairwise_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 5, 40).tolist()
    p = rng.integers(-1, 6, 40).tolist()
    assert metrics.bcubed(t, p) == pytest.approx(_brute_bcubed(t, p))
    assert metrics.pairwise_prf(t, p) == pytest.approx(_brute_pairs(t, p))


def test_perfect_and_string_labels():
    t = ["ann", "ann", "bob", "bob", "cy"]
    assert metrics.bcubed(t, [3, 3, 1, 1, 7]) == pytest.approx((1, 1, 1))
    assert metrics.nmi(t, [3, 3, 1, 1, 7]) == pytest.approx(1.0)
    # everything unsorted: precision perfect, recall low
    p, r, _ = metrics.bcubed(t, [-1] * 5)
    assert p == 1.0 and r == pytest.approx((0.5 + 0.5 + 0.5 + 0.5 + 1) / 5)
    rep = metrics.cluster_report(t, [0, 0, -1, -1, 1])
    assert rep["unsorted"] == 2 and rep["clusters"] == 2


def test_tar_at_far_and_threshold():
    rng = np.random.default_rng(0)
    imp = rng.normal(0, 0.1, 10000)
    gen = rng.normal(0.6, 0.1, 1000)
    scores = np.concatenate([gen, imp])
    same = np.r_[np.ones(1000, bool), np.zeros(10000, bool)]
    tar, t = metrics.roc_tar_at_far(scores, same, 1e-2)
    assert (imp > t).mean() <= 1e-2
    assert (imp > t - 1e-3).mean() > 0.0095  # tight, not arbitrarily strict
    assert tar == pytest.approx((gen > t).mean())
    assert 0.9 < tar <= 1.0


def test_tenfold_accuracy_picks_threshold_on_other_folds():
    rng = np.random.default_rng(1)
    same = rng.random(600) < 0.5
    scores = np.where(same, rng.normal(0.5, 0.1, 600), rng.normal(0.1, 0.1, 600))
    mean, std, ts = metrics.tenfold_accuracy(scores, same)
    assert len(ts) == 10 and all(0.1 < t < 0.5 for t in ts)
    assert 0.9 < mean <= 1.0 and std >= 0
    # separable data: exact
    s2 = np.where(same, 1.0, 0.0)
    assert metrics.tenfold_accuracy(s2, same)[0] == 1.0
    t, acc = metrics.best_threshold(s2, same)
    assert acc == 1.0 and 0.0 <= t < 1.0
