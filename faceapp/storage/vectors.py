"""The one codec for embedding blobs: a vector is stored as its float32 bytes, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def encode_vector(vector: np.ndarray | Sequence[float]) -> bytes:
    """The blob stored for one embedding (or prototype): float32, native byte order."""
    return np.asarray(vector, np.float32).tobytes()


def decode_vector(blob: bytes) -> np.ndarray:
    """One stored blob as a read-only float32 vector (a view of the blob, no copy)."""
    return np.frombuffer(blob, np.float32)


def decode_vectors(blobs: Sequence[bytes]) -> np.ndarray:
    """Blobs of one size as an N×D float32 matrix (a writable copy); blobs of unequal sizes raise
    ValueError (callers filter malformed blobs first)."""
    if len({len(b) for b in blobs}) > 1:
        raise ValueError("embedding blobs of different sizes can't form one matrix")
    return np.frombuffer(b"".join(blobs), np.float32).reshape(len(blobs), -1).copy()
