"""Embed one subject face per image file, for scripting and benchmarks (`faceapp embed`)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from faceapp import paths
from faceapp.core.analyze import analyze
from faceapp.core.detect import DetectorSettings, create_detector
from faceapp.core.embed import Embedder
from faceapp.core.images import ImageError
from faceapp.core.subject import pick_subject


def subject_crops(
    files: Sequence[str | Path], settings: DetectorSettings | None = None, subject: str = "largest", workers: int = 2
) -> tuple[list[np.ndarray | None], list[str | None]]:
    """Aligned crop of the subject face of each file (None where no face), plus error reasons."""
    settings = settings or DetectorSettings()
    local = threading.local()  # one detector per worker thread

    def one(path: str | Path) -> tuple[np.ndarray | None, str | None]:
        if not hasattr(local, "det"):
            local.det = create_detector(settings, paths.YUNET)
        det = local.det
        try:
            a = analyze(Path(path).read_bytes(), det, settings)
        except (ImageError, OSError) as exc:
            return None, getattr(exc, "reason", "unreadable")
        i = pick_subject([f.detection for f in a.faces], a.width, a.height, subject)
        return (a.faces[i].crop, None) if i is not None else (None, "no-face")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        out = list(pool.map(one, files))
    return [c for c, _ in out], [e for _, e in out]


def embed_files(
    files: Sequence[str | Path],
    embedder: Embedder,
    settings: DetectorSettings | None = None,
    subject: str = "largest",
) -> tuple[np.ndarray, np.ndarray]:
    """(emb N×D with zero rows where no face, found bool N)."""
    crops, _ = subject_crops(files, settings, subject)
    found = np.array([c is not None for c in crops], dtype=bool)
    emb = np.zeros((len(files), embedder.info.embedding_size), np.float32)
    if found.any():
        emb[found] = embedder.embed(np.stack([c for c in crops if c is not None]))
    return emb, found
