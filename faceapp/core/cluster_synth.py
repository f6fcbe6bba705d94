"""Synthetic embeddings with identity structure, for tests and the scale benchmark."""

from __future__ import annotations

import numpy as np


def identities(n_people: int, per_person: int, dim: int = 32, spread: float = 0.35, seed: int = 0):
    """(N×dim unit vectors, labels): people as random directions, faces scattered around them."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_people, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_people), per_person)
    x = centres[labels] + rng.normal(size=(len(labels), dim)) * spread / np.sqrt(dim)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), labels
