"""Synthetic face embeddings with a realistic structure, for tests and the scale benchmarks.

`identities`: equal-sized people, for small tests. `library`: what a real library looks like —
thousands of people with very uneven sizes (a few with thousands of faces, most with a handful),
people with two looks (child/adult, beard/no beard), loose and tight people, a shared "mean face"
component that lifts every cosine as real models do, and one-off strangers as noise. Cosines come
out close to a real model's: genuine pairs mostly 0.35-0.8, impostors about 0.05 ± 0.1.
"""

from __future__ import annotations

import numpy as np


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def identities(n_people: int, per_person: int, dim: int = 32, spread: float = 0.35, seed: int = 0):
    """(N×dim unit vectors, labels): people as random directions, faces scattered around them."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.normal(size=(n_people, dim)))
    labels = np.repeat(np.arange(n_people), per_person)
    x = centres[labels] + rng.normal(size=(len(labels), dim)) * spread / np.sqrt(dim)
    return _unit(x).astype(np.float32), labels


def library(n_faces: int, dim: int = 128, noise: float = 0.1, seed: int = 0, chunk: int = 200_000):
    """(N×dim float32 unit vectors, labels with -1 for one-off strangers)."""
    rng = np.random.default_rng(seed)
    n_noise = int(n_faces * noise)
    n_real = n_faces - n_noise
    sizes = np.minimum(rng.zipf(1.7, size=n_real), max(50, n_real // 30))
    sizes = sizes[np.cumsum(sizes) <= n_real]
    if sizes.sum() < n_real:
        sizes = np.append(sizes, n_real - sizes.sum())
    n_people = len(sizes)
    mean_face = _unit(rng.normal(size=dim)) * 0.25
    centres = _unit(_unit(rng.normal(size=(n_people, dim))) + mean_face)
    second = _unit(centres + rng.normal(size=(n_people, dim)) * 0.8 / np.sqrt(dim))  # a second look
    spread = rng.uniform(0.75, 1.05, size=n_people)  # loose and tight people
    labels = np.concatenate([np.repeat(np.arange(n_people), sizes), np.full(n_noise, -1)])
    look = rng.random(n_real) < 0.3
    x = np.empty((n_faces, dim), np.float32)
    for i in range(0, n_real, chunk):
        lab = labels[i : min(i + chunk, n_real)]
        base = np.where(look[i : i + len(lab), None], second[lab], centres[lab])
        noise_v = rng.normal(size=(len(lab), dim)).astype(np.float32) * (spread[lab, None] / np.sqrt(dim))
        x[i : i + len(lab)] = _unit(base + noise_v)
    if n_noise:
        x[n_real:] = _unit(_unit(rng.normal(size=(n_noise, dim))) + mean_face)
    perm = rng.permutation(n_faces)
    return x[perm], labels[perm]
