"""The named-placement threshold measured leave-one-out on confirmed faces (faceapp.core.named_calib)."""

from __future__ import annotations

import numpy as np

from faceapp.core.named_calib import loo_scores, placement_threshold


def _people(n_people: int, per: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    dirs = np.linalg.qr(rng.normal(size=(64, 64)))[0][:n_people]
    lab = np.repeat(np.arange(n_people), per)
    x = dirs[lab] + rng.normal(size=(len(lab), 64)) * noise
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), lab


def test_leave_one_out_leaves_the_face_out_of_its_own_mean() -> None:
    x = np.eye(3, dtype=np.float32)[[0, 0, 1, 1, 2]]
    x[1] = np.array([0.6, 0.8, 0], np.float32)
    own, o1, o2 = loo_scores(x, np.array([7, 7, 8, 8, 9]))
    assert len(own) == 4  # the person with one face is asked nothing
    assert np.isclose(own[0], 0.6) and np.isclose(own[1], 0.6)  # each against the other alone
    assert np.isclose(o1[1], 0.8) and np.isclose(o2[1], 0.0)  # its best other is person 8


def test_separable_people_get_a_threshold_below_their_genuine_scores() -> None:
    x, lab = _people(6, 10, 0.08)
    t = placement_threshold(x, lab, precision=0.98)
    own, o1, _ = loo_scores(x, lab)
    assert t is not None and o1.max() < t <= own.min()


def test_no_threshold_when_people_cannot_be_told_apart_or_are_too_few() -> None:
    x, lab = _people(6, 10, 0.08)
    assert placement_threshold(x[:20], lab[:20]) is None  # two people
    rng = np.random.default_rng(1)
    same = rng.normal(size=(60, 64)) * 0.01 + 1.0  # everyone alike
    assert placement_threshold(same / np.linalg.norm(same, axis=1, keepdims=True), lab, precision=0.98) is None
