"""cfg.guard_se: the guard people's score is judged against its own noise (validation.guard_diff_se,
a jackknife over the guard people), not against zero."""

from __future__ import annotations

import numpy as np

from trainer.validation import guard_diff_se, guard_loo, guard_score


def _people(rng: np.random.Generator, n: int, k: int, spread: float, dim: int = 32) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.normal(size=(n, dim))
    x = np.repeat(centres, k, 0) + spread * rng.normal(size=(n * k, dim))
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(n), k)


def test_guard_diff_se_is_zero_for_the_same_model_and_grows_with_a_real_change() -> None:
    rng = np.random.default_rng(0)
    v, vl = _people(rng, 10, 6, 0.9)
    g, gl = _people(rng, 8, 8, 0.9)
    assert guard_diff_se(v, g, v, g, vl, gl) == 0.0
    nudged = g + 0.15 * rng.normal(size=g.shape)
    nudged /= np.linalg.norm(nudged, axis=1, keepdims=True)
    small = guard_diff_se(v, nudged, v, g, vl, gl)
    assert small > 0
    blurred = g + 0.6 * rng.normal(size=g.shape)
    blurred /= np.linalg.norm(blurred, axis=1, keepdims=True)
    assert guard_score(v, vl, blurred, gl) < guard_score(v, vl, g, gl)
    assert guard_diff_se(v, blurred, v, g, vl, gl) > small
    assert guard_diff_se(v, g[:16], v, g[:16], vl, gl[:16]) == 0.0  # two guard people: no jackknife
    loo = guard_loo(v, g, vl, gl)  # the base side's leave-one-out scores, kept once for every candidate
    assert len(loo) == 8 and np.all(loo > 0)
    assert guard_diff_se(v, blurred, v, g, vl, gl, loo) == guard_diff_se(v, blurred, v, g, vl, gl)


def test_the_judge_lets_a_loss_within_noise_through_and_refuses_a_larger_one() -> None:
    from types import SimpleNamespace

    from trainer.data.faceset import FaceSet
    from trainer.engine import _Judge

    rng = np.random.default_rng(0)
    v, vl = _people(rng, 10, 6, 0.5)
    g, gl = _people(rng, 8, 8, 0.5)
    emb = {"val": v, "guard": g}
    run = SimpleNamespace(embed=lambda which: emb[which])
    val, guard = FaceSet(np.zeros((len(vl), 1)), vl, []), FaceSet(np.zeros((len(gl), 1)), gl, [])
    strict, lenient = _Judge(run, val, guard, 0.0), _Judge(run, val, guard, 1.0)
    base = strict.score(0, 0.0, 0.0, None)
    lenient.score(0, 0.0, 0.0, None)
    floor = base.guard_score
    nudged = g + 0.03 * rng.normal(size=g.shape)
    emb["guard"] = nudged / np.linalg.norm(nudged, axis=1, keepdims=True)
    se = guard_diff_se(v, emb["guard"], v, g, vl, gl)
    lost = floor - guard_score(v, vl, emb["guard"], gl)
    assert 0 < lost < se  # a loss the guard's noise explains (this seed)
    assert not strict.score(1, 1.0, 1.0, floor).ok
    assert lenient.score(1, 1.0, 1.0, floor).ok
    blurred = g + 0.1 * rng.normal(size=g.shape)
    emb["guard"] = blurred / np.linalg.norm(blurred, axis=1, keepdims=True)
    assert not lenient.score(2, 1.0, 1.0, floor).ok
    assert lenient.base_loo is not None and strict.base_loo is None  # the base's scores kept by the judge that used them
