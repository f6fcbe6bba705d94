"""Evaluation metrics for clustering and verification, shared by the app's benchmarks and the trainer.

Clustering metrics take two label sequences of equal length (any hashable labels). A predicted
label below zero (HDBSCAN/DBSCAN "noise", our "unsorted") counts as a singleton cluster of its own:
leaving a face unsorted never merges it with other unsorted faces.

Verification metrics take similarity scores (higher = more alike) and a boolean "same person" per pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _codes(labels: Sequence, noise_singletons: bool) -> np.ndarray:
    arr = np.asarray(labels)
    _, codes = np.unique(arr.astype(str) if arr.dtype.kind not in "iub" else arr, return_inverse=True)
    codes = codes.astype(np.int64)
    if noise_singletons and arr.dtype.kind in "iu":
        noise = arr < 0
        if noise.any():
            codes[noise] = codes.max() + 1 + np.arange(int(noise.sum()))
    return codes


def contingency(labels_true: Sequence, labels_pred: Sequence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell counts n_ij over non-empty cells, true size of each cell's class, pred size of its cluster)."""
    t = _codes(labels_true, noise_singletons=False)
    p = _codes(labels_pred, noise_singletons=True)
    if len(t) != len(p):
        raise ValueError(f"label lengths differ: {len(t)} vs {len(p)}")
    key = t * (int(p.max()) + 1 if len(p) else 1) + p
    cells, n = np.unique(key, return_counts=True)
    ti = cells // (int(p.max()) + 1 if len(p) else 1)
    pi = cells % (int(p.max()) + 1 if len(p) else 1)
    tsize = np.bincount(t)[ti]
    psize = np.bincount(p)[pi]
    return n.astype(np.float64), tsize.astype(np.float64), psize.astype(np.float64)


def _f(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def bcubed(labels_true: Sequence, labels_pred: Sequence) -> tuple[float, float, float]:
    """BCubed precision, recall and F (Bagga & Baldwin 1998; Amigó et al. 2009), item-averaged."""
    n, tsize, psize = contingency(labels_true, labels_pred)
    total = n.sum()
    if total == 0:
        return 0.0, 0.0, 0.0
    p = float((n * n / psize).sum() / total)
    r = float((n * n / tsize).sum() / total)
    return p, r, _f(p, r)


def pairwise_prf(labels_true: Sequence, labels_pred: Sequence) -> tuple[float, float, float]:
    """Pairwise precision/recall/F over all item pairs put together by the prediction / by the truth."""
    n, tsize, psize = contingency(labels_true, labels_pred)
    tp = float((n * (n - 1) / 2).sum())
    t = _codes(labels_true, noise_singletons=False)
    p = _codes(labels_pred, noise_singletons=True)
    true_pairs = float(sum(c * (c - 1) / 2 for c in np.bincount(t)))
    pred_pairs = float(sum(c * (c - 1) / 2 for c in np.bincount(p)))
    prec = tp / pred_pairs if pred_pairs else 1.0
    rec = tp / true_pairs if true_pairs else 1.0
    return prec, rec, _f(prec, rec)


def nmi(labels_true: Sequence, labels_pred: Sequence) -> float:
    """Normalised mutual information (arithmetic normalisation), noise as singletons."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(_codes(labels_true, False), _codes(labels_pred, True)))


def cluster_report(labels_true: Sequence, labels_pred: Sequence) -> dict[str, float]:
    """Every clustering figure at once, plus the number of clusters and of unsorted items."""
    bp, br, bf = bcubed(labels_true, labels_pred)
    pp, pr, pf = pairwise_prf(labels_true, labels_pred)
    pred = np.asarray(labels_pred)
    noise = int((pred < 0).sum()) if pred.dtype.kind in "iu" else 0
    return {
        "bcubed_p": bp, "bcubed_r": br, "bcubed_f": bf,
        "pairwise_p": pp, "pairwise_r": pr, "pairwise_f": pf,
        "nmi": nmi(labels_true, labels_pred),
        "clusters": int(len(set(pred[pred >= 0].tolist())) if noise else len(set(pred.tolist()))),
        "unsorted": noise,
    }


def threshold_at_far(impostor_scores: Sequence[float], far: float) -> float:
    """Smallest threshold t with P(impostor score > t) ≤ far (accept when score > t)."""
    s = np.sort(np.asarray(impostor_scores, np.float64))[::-1]
    if len(s) == 0:
        raise ValueError("no impostor scores")
    k = int(np.floor(far * len(s)))  # how many impostors may pass
    if k >= len(s):
        return float(s[-1]) - 1e-9
    return float(s[k])


def roc_tar_at_far(scores: Sequence[float], same: Sequence[bool], far: float) -> tuple[float, float]:
    """(true-accept rate, threshold) at a false-accept rate: genuine pairs with score > threshold."""
    s = np.asarray(scores, np.float64)
    y = np.asarray(same, bool)
    if not y.any() or y.all():
        raise ValueError("need both genuine and impostor pairs")
    t = threshold_at_far(s[~y], far)
    return float((s[y] > t).mean()), t


def best_threshold(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy of `score > threshold` over these pairs."""
    order = np.argsort(scores, kind="stable")
    s, y = scores[order], same[order].astype(np.int64)
    # Threshold below item i: items < i rejected, items ≥ i accepted.
    rejected_impostors = np.concatenate([[0], np.cumsum(1 - y)])
    accepted_genuine = np.concatenate([np.cumsum(y[::-1])[::-1], [0]])
    correct = rejected_impostors + accepted_genuine
    # Only cut between distinct scores.
    valid = np.ones(len(s) + 1, bool)
    valid[1:-1] = s[1:] > s[:-1]
    correct = np.where(valid, correct, -1)
    i = int(np.argmax(correct))
    if i == 0:
        t = s[0] - 1e-6
    elif i == len(s):
        t = s[-1]
    else:
        t = (s[i - 1] + s[i]) / 2
    return float(t), float(correct[i] / len(s))


def tenfold_accuracy(scores: Sequence[float], same: Sequence[bool], folds: int = 10) -> tuple[float, float, list[float]]:
    """LFW protocol: (mean accuracy, std, per-fold thresholds); each fold's threshold is chosen on the other nine.

    Folds are contiguous slices, which matches the order of LFW's pairs.txt (10 sets of 600).
    """
    s = np.asarray(scores, np.float64)
    y = np.asarray(same, bool)
    if len(s) < folds:
        raise ValueError(f"need at least {folds} pairs")
    parts = np.array_split(np.arange(len(s)), folds)
    accs, ts = [], []
    for k, test in enumerate(parts):
        train = np.concatenate([p for j, p in enumerate(parts) if j != k])
        t, _ = best_threshold(s[train], y[train])
        accs.append(float(((s[test] > t) == y[test]).mean()))
        ts.append(t)
    return float(np.mean(accs)), float(np.std(accs)), ts
