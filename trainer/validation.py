"""Validation score for early stopping, and how much the never-trained 'guard' people may lose."""

from __future__ import annotations

import numpy as np

GUARD_TOLERANCE = 0.003  # mean-TAR points the never-trained people may lose (about noise level)


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
