"""Lone pairs that chance explains: a two-face cluster is left unsorted when, among the faces no
bigger cluster took, the model's calibrated FAR predicts as many pairs at its similarity as there are.

Why: the linkage threshold is a per-pair false-accept rate. A face with no match in the library is
still compared with every other face, so at FAR 1e-3 a library of 2,000 faces holds about 2,000
impostor pairs above the threshold, and average linkage makes a two-face "person" of a stranger and
his best impostor. Big clusters rest on many pairs and don't suffer from it; lone pairs do. Which
lone pairs are real depends on the library: mostly real in a library of well-photographed people,
mostly chance in one full of one-off faces (lfw_extra: 359 two-face clusters, nearly all wrong).

The test is a false-discovery estimate (Benjamini & Hochberg's idea with the calibration as the
null): among the M faces left in clusters of one or two, chance gives M(M-1)/2 × FAR(s) pairs at
cosine ≥ s; the library shows `observed(s)` such pairs. A pair at cosine s is kept when chance
accounts for at most half of them, i.e. the pair is more likely real than not. FAR(s) is read from
the model's calibrated curve (log-linear, see `far_of`); nothing here is tuned on a benchmark's labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CHANCE_SHARE = 0.5  # a lone pair stays when chance explains at most this share of pairs like it


def far_of(similarity: np.ndarray, curve: Sequence[Sequence[float]]) -> np.ndarray:
    """FAR at each similarity from [[far, cosine], ...] points: log-linear between points and past the
    ends along the end segments. Past the strictest point this over-states a Gaussian-like tail (so a
    strong pair is, if anything, judged too harshly); clamping there instead would call every pair
    above it as likely as one at the last point, and dissolve strong real pairs in a large library."""
    pts = sorted((float(t), float(f)) for f, t in curve)
    ts = np.array([p[0] for p in pts])
    fs = np.log10([max(p[1], 1e-300) for p in pts])
    sim = np.asarray(similarity, np.float64)
    out = np.interp(sim, ts, fs)
    if len(ts) >= 2:
        hi, lo = sim > ts[-1], sim < ts[0]
        out[hi] = fs[-1] + (sim[hi] - ts[-1]) * (fs[-1] - fs[-2]) / (ts[-1] - ts[-2])
        out[lo] = fs[0] + (sim[lo] - ts[0]) * (fs[1] - fs[0]) / (ts[1] - ts[0])
    return np.minimum(10**out, 1.0)


def chance_pairs(
    roots: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    s: np.ndarray,
    curve: Sequence[Sequence[float]],
    pair_sim: dict[int, float],
    keep: set[int] | None = None,
) -> set[int]:
    """Roots of the two-face clusters to leave unsorted.

    roots: cluster root per face. a, b, s: the candidate pairs (each pair once) with their cosines.
    pair_sim: two-face cluster root -> its pair's cosine. keep: roots never dissolved (decided faces).
    """
    keep = keep or set()
    cand = [r for r in pair_sim if r not in keep]
    if not cand or not curve:
        return set()
    size = np.bincount(roots, minlength=int(roots.max()) + 1)
    left = size[roots] <= 2
    m = int(left.sum())
    both = left[a] & left[b]
    seen = np.sort(np.asarray(s, np.float64)[both])
    sims = np.array([pair_sim[r] for r in cand], np.float64)
    observed = len(seen) - np.searchsorted(seen, sims, side="left")
    expected = m * (m - 1) / 2 * far_of(sims, curve)
    chance = expected / np.maximum(observed, 1)
    return {r for r, c in zip(cand, chance.tolist(), strict=True) if c > CHANCE_SHARE}
