"""Validation score for early stopping; the never-trained 'guard' people's score and how much of it
they may lose; the noise of a difference in validation score (half-sampling the validation people)."""

from __future__ import annotations

import numpy as np

GUARD_TOLERANCE = 0.0  # mean TAR the never-trained people may lose: none (WiSE-FT blends leave room)
GUARD_FARS = np.logspace(-4, -2, 5)  # the app clusters at FAR 1e-3 and refines one decade stricter


def val_score(emb: np.ndarray, labels: np.ndarray) -> float:
    """Mean TAR over FAR 1e-3…1e-1 (five log-spaced points) on every pair of the held-out faces: a
    partial-AUC-like figure, much less jumpy on a few hundred faces than TAR at a single FAR."""
    from faceapp.core.metrics import roc_tar_at_far

    iu = np.triu_indices(len(labels), 1)
    scores = (emb @ emb.T)[iu]
    same = (labels[:, None] == labels[None, :])[iu]
    if same.all() or not same.any():
        return 0.0
    return float(np.mean([roc_tar_at_far(scores, same, far)[0] for far in np.logspace(-3, -1, 5)]))


def guard_score(val_emb: np.ndarray, val_labels: np.ndarray, guard_emb: np.ndarray, guard_labels: np.ndarray) -> float:
    """Mean TAR of the guard people's own pairs at the thresholds (FAR 1e-4…1e-2) that the impostor
    pairs of validation + guard faces together set, as the app calibrates a model. A fine-tune can keep
    strangers' pairs in order among themselves yet pull them toward the trained people (whose classes
    widen), which raises the calibrated threshold and splits strangers in clustering; this sees both."""
    from faceapp.core.metrics import threshold_at_far

    emb = np.concatenate([val_emb, guard_emb])
    lab = np.concatenate([val_labels, guard_labels + (val_labels.max() + 1 if len(val_labels) else 0)])
    is_guard = np.r_[np.zeros(len(val_labels), bool), np.ones(len(guard_labels), bool)]
    iu = np.triu_indices(len(lab), 1)
    scores = (emb @ emb.T)[iu]
    same = (lab[:, None] == lab[None, :])[iu]
    gen = scores[same & is_guard[iu[0]]]
    if len(gen) == 0 or same.all():
        return 0.0
    return float(np.mean([(gen > threshold_at_far(scores[~same], far)).mean() for far in GUARD_FARS]))


VAL_FARS = np.logspace(-3, -1, 5)


def _boot_scores(emb: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """val_score of each resample of the people: weights (reps × people, how many times each person
    was drawn; labels index people 0..P−1). A pair of faces of two drawn people counts w_p·w_q times,
    a pair of one person's faces w_p times; pairs between two copies of one person are left out (a
    stranger is never the same face twice). With all weights 1 this is val_score exactly."""
    iu = np.triu_indices(len(labels), 1)
    scores = (emb @ emb.T)[iu]
    pi, pj = labels[iu[0]], labels[iu[1]]
    same = pi == pj
    order = np.argsort(-scores[~same], kind="stable")
    imp, ipi, ipj = scores[~same][order], pi[~same][order], pj[~same][order]
    gen, gp = scores[same], pi[same]
    out = np.empty(len(weights))
    for r, w in enumerate(weights.astype(np.float64)):
        wi = w[ipi] * w[ipj]
        cum = np.cumsum(wi)
        wg = w[gp]
        tars = []
        for far in VAL_FARS:  # threshold: the highest impostor score with weight above it > far·total
            k = np.floor(far * cum[-1])
            t = imp[min(np.searchsorted(cum, k, side="right"), len(imp) - 1)]
            tars.append((wg * (gen > t)).sum() / wg.sum())
        out[r] = np.mean(tars)
    return out


def score_diff_se(emb_a: np.ndarray, emb_b: np.ndarray, labels: np.ndarray, reps: int = 200, seed: int = 0) -> float:
    """Standard error of val_score(emb_a) − val_score(emb_b) on the same faces: a bootstrap over the
    validation people (whole people are the sampling unit, their faces' pairs are not independent),
    both sides scored on the same resamples so that the noise they share (which faces happen to be
    hard) cancels. Pairs between two copies of one drawn person are left out. Seeded, so a
    selection is repeatable."""
    people, lab = np.unique(labels, return_inverse=True)
    if len(people) < 4:
        return 0.0
    rng = np.random.default_rng(seed)
    w = rng.multinomial(len(people), np.full(len(people), 1 / len(people)), size=reps)
    return float(np.std(_boot_scores(emb_a, lab, w) - _boot_scores(emb_b, lab, w), ddof=1))


def guard_diff_se(val_a: np.ndarray, guard_a: np.ndarray, val_b: np.ndarray, guard_b: np.ndarray,
                  val_labels: np.ndarray, guard_labels: np.ndarray, loo_b: np.ndarray | None = None) -> float:
    """Jackknife standard error of guard_score(a) − guard_score(b) over the guard people (each left out
    in turn, both sides scored without them, so the noise they share cancels). A handful of guard people
    give a guard score that moves by a few points with who they happen to be: a candidate whose loss is
    within this noise has not been shown to cost strangers anything. `loo_b`: b's leave-one-out scores
    (guard_loo), when the caller keeps them for many candidates."""
    if len(np.unique(guard_labels)) < 3:
        return 0.0
    if loo_b is None:
        loo_b = guard_loo(val_b, guard_b, val_labels, guard_labels)
    d = guard_loo(val_a, guard_a, val_labels, guard_labels) - loo_b
    n = len(d)
    return float(np.sqrt((n - 1) / n * ((d - d.mean()) ** 2).sum()))


def guard_loo(val: np.ndarray, guard: np.ndarray, val_labels: np.ndarray, guard_labels: np.ndarray) -> np.ndarray:
    """The guard score with each guard person left out in turn (in the order of np.unique)."""
    return np.array([guard_score(val, val_labels, guard[guard_labels != p], guard_labels[guard_labels != p])
                     for p in np.unique(guard_labels)])
