"""Several prototypes per person, so one person can have a child face and an adult face.

Bisecting 2-means run for all people at once (vectorised over groups, no per-person Python loop):
each group starts as its mean direction; a group with enough faces splits into two, seeded by its
mean and its least typical face, refined for a few rounds; repeated `levels` times (up to
2**levels prototypes per person). Fast enough for a million known faces.
"""

from __future__ import annotations

import numpy as np

from faceapp.core.knn import add_by_group, as_f32


def _normalise(m: np.ndarray) -> np.ndarray:
    return (m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _group_means(x: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    sums = np.zeros((k, x.shape[1]), np.float64)
    add_by_group(sums, codes, x)
    return _normalise(sums)


def sample_per_group(groups: np.ndarray, cap: int, seed: int = 0) -> np.ndarray:
    """Indices keeping at most `cap` random members of each group (prototypes need no more)."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(groups)), groups))
    g = groups[order]
    start = np.searchsorted(g, g, side="left")
    return np.sort(order[(np.arange(len(g)) - start) < cap])


def group_prototypes(
    x: np.ndarray, groups: np.ndarray, levels: int = 2, min_split: int = 8, rounds: int = 3, cap: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """(P×D unit prototypes, P group ids) for vectors `x` labelled with non-negative `groups`.

    Each group is summarised from at most `cap` of its members (a random sample), so a person with
    fifty thousand photos costs no more than one with two hundred.
    """
    groups = np.asarray(groups, np.int64)
    if cap and len(groups) > cap:
        keep = sample_per_group(groups, cap)
        x, groups = x[keep], groups[keep]
    x = as_f32(x)
    if len(x) == 0:
        return np.zeros((0, x.shape[1] if x.ndim == 2 else 0), np.float32), np.zeros(0, np.int64)
    ug, codes = np.unique(groups, return_inverse=True)
    protos = _group_means(x, codes, len(ug))
    owner = ug.copy()
    for _ in range(levels):
        sizes = np.bincount(codes, minlength=len(protos))
        split = sizes >= min_split
        if not split.any():
            break
        sim = np.einsum("ij,ij->i", x, protos[codes])
        # Seed B: the least typical member of each splitting group.
        order = np.lexsort((sim, codes))
        first = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
        seed = np.zeros(len(protos), np.int64)
        seed[codes[order][first]] = order[first]
        new_index = np.full(len(protos), -1, np.int64)
        new_index[split] = len(protos) + np.arange(int(split.sum()))
        protos = np.vstack([protos, x[seed[split]]])
        owner = np.concatenate([owner, owner[split]])
        for _ in range(rounds):
            a_sim = np.einsum("ij,ij->i", x, protos[codes])
            b_idx = new_index[codes]
            b_sim = np.where(b_idx >= 0, np.einsum("ij,ij->i", x, protos[np.maximum(b_idx, 0)]), -2.0)
            sub = np.where(b_sim > a_sim, b_idx, codes)
            protos = _group_means(x, sub, len(protos))
        codes = sub
        # A side that lost every member keeps a zero vector: drop it.
        used = np.bincount(codes, minlength=len(protos)) > 0
        remap = np.cumsum(used) - 1
        protos, owner, codes = protos[used], owner[used], remap[codes]
    return protos, owner
