"""Where a clustering's BCubed loss lies: the figures it would reach if one kind of error were fixed
by someone who knows the labels. Diagnostics for reading a benchmark, never for choosing parameters.

- merge-splits: every cluster joins the main cluster of its majority person (split people rejoined)
- place-unsorted: every unsorted labeled face joins its person's main cluster
- both: the two together
- purify: labeled faces that are not their cluster's majority person become unsorted
- best-placement: every labeled face outside its person's main cluster moves there when that is the
  cluster it is most similar to on average (leave-one-out); a bound on any rule that moves single
  faces to their most similar cluster, even one that knew which faces are misplaced

A person's main cluster holds most of their labeled faces. Only the labeled faces are scored, as in
faceapp.bench.cluster_eval; unlabeled faces keep their clusters.

`separability` reads the embeddings alone, with the labels known and no clustering at all: the share
of faces whose nearest other face is the same person, and whose own person's mean (without the face)
is nearer than every other person's, and the BCubed F of the people every face would form if it joined
the person whose mean is nearest: what knowing every person's true mean would give a placement rule.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from faceapp.core.metrics import bcubed


def _majorities(labels: np.ndarray, truth: np.ndarray) -> tuple[dict[int, str], dict[str, int]]:
    """(cluster -> majority person, person -> main cluster), over labeled faces in clusters."""
    count: dict[tuple[int, str], int] = {}
    for c, t in zip(labels.tolist(), truth.tolist(), strict=True):
        if c >= 0:
            count[(c, t)] = count.get((c, t), 0) + 1
    majority: dict[int, tuple[int, str]] = {}
    main: dict[str, tuple[int, int]] = {}
    for (c, t), n in sorted(count.items()):
        if c not in majority or n > majority[c][0]:
            majority[c] = (n, t)
        if t not in main or n > main[t][0]:
            main[t] = (n, c)
    return {c: t for c, (_, t) in majority.items()}, {t: c for t, (_, c) in main.items()}


def oracle_report(x: np.ndarray, labels: np.ndarray, labeled: np.ndarray, truth: Sequence[str]) -> dict[str, float]:
    """BCubed F of each oracle fix (see the module doc), beside the clustering's own ("as-is")."""
    labels = np.asarray(labels, np.int64)
    lab_idx = np.flatnonzero(labeled)
    t = np.asarray(truth)
    lab = labels[lab_idx]
    majority, main = _majorities(lab, t)
    merged = np.array([main[majority[c]] if c >= 0 else -1 for c in lab.tolist()], np.int64)
    unsorted = lab < 0
    placed = lab.copy()
    placed[unsorted] = [main.get(p, -1) for p in t[unsorted].tolist()]
    both = merged.copy()
    both[unsorted] = placed[unsorted]
    purified = np.array([c if c >= 0 and majority[c] == p else -1 for c, p in zip(lab.tolist(), t.tolist(), strict=True)])
    out = {"as-is": bcubed(t, lab)[2], "merge-splits": bcubed(t, merged)[2], "place-unsorted": bcubed(t, placed)[2],
           "both": bcubed(t, both)[2], "purify": bcubed(t, purified)[2]}
    out["best-placement"] = bcubed(t, _best_placement(np.asarray(x, np.float32), labels, lab_idx, t, main))[2]
    return out


def _best_placement(x: np.ndarray, labels: np.ndarray, lab_idx: np.ndarray, t: np.ndarray,
                    main: dict[str, int]) -> np.ndarray:
    clusters = np.unique(labels[labels >= 0])
    if len(clusters) == 0:
        return labels[lab_idx]
    pos = np.searchsorted(clusters, np.maximum(labels, 0))
    sums = np.zeros((len(clusters), x.shape[1]), np.float64)
    np.add.at(sums, pos[labels >= 0], x[labels >= 0])
    size = np.bincount(pos[labels >= 0], minlength=len(clusters)).astype(np.float64)
    out = labels[lab_idx].copy()
    wrong = np.flatnonzero(np.array([out[k] != main.get(p, -2) for k, p in enumerate(t.tolist())]))
    for k in wrong.tolist():
        i = lab_idx[k]
        s = sums @ x[i]
        n = size.copy()
        if labels[i] >= 0:  # leave the face itself out of its own cluster
            s[pos[i]] -= float(x[i] @ x[i])
            n[pos[i]] -= 1
        avg = np.where(n > 0, s / np.maximum(n, 1), -np.inf)
        best = int(clusters[int(np.argmax(avg))])
        if best == main.get(t[k], -2):
            out[k] = best
    return out


def separability(x: np.ndarray, truth: Sequence[str], block: int = 2048) -> dict[str, float]:
    """{"nearest-neighbour": share of faces whose most similar other face is the same person,
    "nearest-person-mean": share whose own person's mean direction (leaving the face out) beats every
    other person's, "nearest-person-mean-f": BCubed F with every face placed by that rule}, over the
    labeled faces `x` (unit rows) and their `truth`."""
    x = np.asarray(x, np.float32)
    codes = np.unique(np.asarray(truth), return_inverse=True)[1]
    sums = np.zeros((codes.max() + 1, x.shape[1]), np.float64)
    np.add.at(sums, codes, x)
    nn_ok = mean_ok = 0
    placed = np.empty(len(x), np.int64)
    for lo in range(0, len(x), block):
        xb, cb = x[lo : lo + block], codes[lo : lo + block]
        rows = np.arange(len(xb))
        sim = xb @ x.T
        sim[rows, rows + lo] = -np.inf
        nn_ok += int((codes[sim.argmax(1)] == cb).sum())
        dots = xb @ sums.T  # (block, people): each person's sum against each face
        score = dots / np.maximum(np.linalg.norm(sums, axis=1), 1e-12)
        own_norm = np.linalg.norm(sums[cb] - xb, axis=1)  # the face's own person without the face
        own = (dots[rows, cb] - (xb * xb).sum(1)) / np.maximum(own_norm, 1e-12)
        score[rows, cb] = np.where(own_norm > 1e-6, own, -np.inf)  # a person of one face has no mean without it
        placed[lo : lo + block] = score.argmax(1)
        mean_ok += int((placed[lo : lo + block] == cb).sum())
    return {"nearest-neighbour": nn_ok / len(x), "nearest-person-mean": mean_ok / len(x),
            "nearest-person-mean-f": bcubed(list(codes), placed)[2]}
