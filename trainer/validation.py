"""Validation score for early stopping; the never-trained 'guard' people's score and how much of it
they may lose."""

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
