"""The one-standard-error rule toward the base model (selection.within_noise) and the bootstrapped
standard error of a validation-score difference (validation.score_diff_se)."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.selection import Candidate, within_noise
from trainer.validation import score_diff_se, val_score


def _c(dist: float, score: float, ok: bool = True) -> Candidate:
    return Candidate(distance=dist, val_score=score, ok=ok)


def test_keeps_the_nearest_candidate_within_noise_of_the_best() -> None:
    base, near, mid, best, far = _c(0, 0.90), _c(1, 0.93), _c(2, 0.945), _c(3, 0.95), _c(4, 0.99, ok=False)
    pool = [far, best, mid, near, base]
    asked = []

    def se(c: Candidate, b: Candidate) -> float:
        asked.append(c.distance)
        assert b is best  # the best among those the guard lets through, never the guard-failing one
        return 0.01

    assert within_noise(pool, 1.0, se) is mid  # base and near are more than 1 SE below; mid is within
    assert asked == [0, 1, 2]  # nearest first, no further once one qualifies
    assert within_noise(pool, 3.0, lambda c, b: 0.01) is near
    assert within_noise(pool, 10.0, lambda c, b: 0.01) is base  # nothing distinguishable from the base model
    assert within_noise(pool, 0.0, se) is best  # the rule off: the best on validation
    assert within_noise(pool, 1.0, lambda c, b: 0.0) is best  # no noise: the best
    assert within_noise([_c(1, 0.9, ok=False)], 1.0, se) is None


def test_ties_on_score_go_to_the_base_side() -> None:
    a, b = _c(1, 0.95), _c(2, 0.95)
    assert within_noise([b, a], 0.0, lambda c, d: 0.0) is a


def _faces(rng: np.random.Generator, people: int = 40, per: int = 4, noise: float = 0.8) -> tuple[np.ndarray, np.ndarray]:
    lab = np.repeat(np.arange(people), per)
    dirs = rng.normal(size=(people, 64))
    e = dirs[lab] + rng.normal(size=(len(lab), 64)) * noise
    return e / np.linalg.norm(e, axis=1, keepdims=True), lab


def test_bootstrap_with_every_person_once_is_val_score() -> None:
    from trainer.validation import _boot_scores

    e, lab = _faces(np.random.default_rng(2), people=30, per=3)
    assert _boot_scores(e, lab, np.ones((1, 30)))[0] == pytest.approx(val_score(e, lab), abs=1e-12)


def test_score_diff_se_is_paired_repeatable_and_grows_with_the_difference() -> None:
    rng = np.random.default_rng(0)
    e, lab = _faces(rng)
    assert score_diff_se(e, e, lab) == 0.0  # the same model: no noise in the difference
    small = e + rng.normal(size=e.shape) * 0.02
    big = e + rng.normal(size=e.shape) * 0.3
    small, big = (x / np.linalg.norm(x, axis=1, keepdims=True) for x in (small, big))
    se_small, se_big = score_diff_se(small, e, lab), score_diff_se(big, e, lab)
    assert 0 < se_small < se_big
    assert score_diff_se(big, e, lab) == se_big  # seeded
    assert score_diff_se(big, e, lab[:2] * 0, reps=5) == 0.0  # fewer than 4 people: no estimate


def test_score_diff_se_matches_the_spread_over_fresh_validation_sets() -> None:
    """The bootstrap over people estimates the sampling noise of the difference: compare with the
    spread of the difference over independently drawn validation sets of the same size."""
    rng = np.random.default_rng(1)
    dirs = rng.normal(size=(4000, 64))
    proj = np.eye(64) + rng.normal(size=(64, 64)) * 0.05  # a second 'model': a fixed distortion

    def draw(people: int = 40, per: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        who = rng.choice(len(dirs), people, replace=False)
        lab = np.repeat(np.arange(people), per)
        e = dirs[who][lab] + rng.normal(size=(len(lab), 64)) * 0.9
        f = e @ proj
        return (e / np.linalg.norm(e, axis=1, keepdims=True), f / np.linalg.norm(f, axis=1, keepdims=True), lab)

    diffs, ses = [], []
    for _ in range(40):
        e, f, lab = draw()
        diffs.append(val_score(f, lab) - val_score(e, lab))
        ses.append(score_diff_se(f, e, lab, reps=100))
    # right to within the noise of 40 draws, on the conservative side (it measures 1.1-1.5x here)
    assert 0.8 < np.median(ses) / np.std(diffs, ddof=1) < 2.0


def test_train_keeps_the_base_model_when_nothing_is_distinguishable_from_it(real_crops) -> None:
    from trainer.backbones import load_sface
    from trainer.config import TrainConfig
    from trainer.engine import train
    from trainer.features import embed_crops

    tr, val = real_crops.split_photos(0.6)
    cfg = TrainConfig(loss="cosface", epochs=1, batch_size=16, device="cpu", trainable_units=1, lr=1e-3,
                      wise_alphas=(0.5,), select_se=1e6)  # any candidate is within a million SEs of the base
    res = train(cfg, tr, val, progress=None)
    if res.selection:  # something beat the base model on validation: the rule still keeps the base
        assert res.selection["kept"]["epoch"] == 0 and res.best_epoch == 0
    base = embed_crops(load_sface(), val.crops[:4])
    assert np.abs(embed_crops(res.net, val.crops[:4]) - base).max() < 1e-5
