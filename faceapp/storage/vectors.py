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


def read_matrix(rows, count: int, dim: int, chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """(ids, N×dim float32) from a cursor of (id, blob) rows whose blobs hold `dim` float32s, fetched
    `chunk` rows at a time into arrays sized for `count` rows: a million embeddings never sit in
    memory as Python objects, only one chunk of them."""
    ids = np.empty(count, np.int64)
    x = np.empty((count, dim), np.float32)
    i = 0
    while i < count:
        got = rows.fetchmany(min(chunk, count - i))
        if not got:
            break
        m = len(got)
        ids[i : i + m] = [r[0] for r in got]
        x[i : i + m] = np.frombuffer(b"".join(r[1] for r in got), np.float32).reshape(m, dim)
        i += m
    return ids[:i], x[:i]
