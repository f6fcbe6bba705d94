"""Calibrate a model's verification thresholds on labeled folder-per-person data.

Genuine pairs: every pair of images of one person; impostor pairs: every pair across people.
The threshold at FAR f is the cosine that at most a fraction f of impostor pairs exceed. The
result records what it was measured on and how many pairs, so a number never floats free of
its evidence. Calibrate on data that is not the clustering benchmark (celeba_dev).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from faceapp.core.images import IMAGE_EXTENSIONS
from faceapp.core.metrics import roc_tar_at_far, threshold_at_far
from faceapp.types import FARS

CURVE_FARS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5)


def identity_folders(root: str | Path) -> tuple[list[str], list[str]]:
    """(image paths, person labels) of a folder-per-person data set, sorted."""
    files, labels = [], []
    for person in sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")):
        for f in sorted(person.rglob("*")):
            if f.suffix.lower() in IMAGE_EXTENSIONS and not f.name.startswith("."):
                files.append(str(f))
                labels.append(person.name)
    return files, labels


def _is_aligned(path: str) -> bool:
    import cv2

    img = cv2.imread(path)
    return img is not None and img.shape[:2] == (112, 112)


def embed_dataset(root: str | Path, embedder, progress: Callable[[str], None] | None = None) -> tuple[np.ndarray, list[str]]:
    """Embeddings and labels of one data set; 112×112 images are taken as aligned crops already."""
    import cv2

    from faceapp.jobs.embed_files import embed_files

    files, labels = identity_folders(root)
    if not files:
        return np.zeros((0, embedder.info.embedding_size), np.float32), []
    if progress:
        progress(f"{root}: {len(files)} images")
    if _is_aligned(files[0]):
        crops = np.stack([cv2.imread(f)[:, :, ::-1] for f in files])
        return embedder.embed(crops), labels
    if _is_tight_portrait(files[0]):
        return _embed_padded(files, labels, embedder)
    emb, found = embed_files(files, embedder)
    return emb[found], [lab for lab, ok in zip(labels, found, strict=True) if ok]


def _is_tight_portrait(path: str) -> bool:
    import cv2

    img = cv2.imread(path)
    return img is not None and max(img.shape[:2]) < 160


def _embed_padded(files: list[str], labels: list[str], embedder) -> tuple[np.ndarray, list[str]]:
    """Tightly cropped portraits (ORL, 92×112): the detector needs a margin round the face to see it."""
    import cv2

    from faceapp import paths
    from faceapp.core.analyze import analyze
    from faceapp.core.detect import DetectorSettings, create_detector

    settings = DetectorSettings()
    det = create_detector(settings, paths.YUNET)
    crops, keep = [], []
    for f, lab in zip(files, labels, strict=True):
        img = cv2.imread(f)
        h, w = img.shape[:2]
        img = cv2.copyMakeBorder(img, h // 2, h // 2, w, w, cv2.BORDER_REPLICATE)
        faces = analyze(cv2.imencode(".png", img)[1].tobytes(), det, settings).faces
        if faces:
            crops.append(max(faces, key=lambda x: x.detection.box[2] * x.detection.box[3]).crop)
            keep.append(lab)
    if not crops:
        return np.zeros((0, embedder.info.embedding_size), np.float32), []
    return embedder.embed(np.stack(crops)), keep


def pair_scores(x: np.ndarray, labels: Sequence[str], block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(genuine cosines, impostor cosines) over all pairs i < j, in float32 blocks."""
    x = np.ascontiguousarray(x, np.float32)
    _, codes = np.unique(np.asarray(labels), return_inverse=True)
    gen, imp = [], []
    for i in range(0, len(x), block):
        s = x[i : i + block] @ x.T
        rows = np.arange(i, min(i + block, len(x)))[:, None]
        upper = np.arange(len(x))[None, :] > rows
        same = codes[i : i + block][:, None] == codes[None, :]
        gen.append(s[upper & same])
        imp.append(s[upper & ~same])
    return np.concatenate(gen), np.concatenate(imp)


def calibrate(x: np.ndarray, labels: Sequence[str], sources: dict[str, int], model_id: str) -> dict:
    """The calibration record: thresholds by FAR, a FAR curve, TAR at each FAR, and the evidence."""
    gen, imp = pair_scores(x, labels)
    scores = np.concatenate([gen, imp])
    same = np.r_[np.ones(len(gen), bool), np.zeros(len(imp), bool)]
    thresholds, tar = {}, {}
    for f in FARS:
        tar[f], thresholds[f] = roc_tar_at_far(scores, same, float(f))
    return {
        "model_id": model_id,
        "thresholds": {k: round(v, 5) for k, v in thresholds.items()},
        "tar_at_far": {k: round(v, 4) for k, v in tar.items()},
        "far_curve": [[f, round(threshold_at_far(imp, f), 5)] for f in CURVE_FARS if f * len(imp) >= 1],
        "pairs": {"genuine": int(len(gen)), "impostor": int(len(imp))},
        "faces": int(len(x)),
        "people": int(len(set(labels))),
        "calibrated_on": sources,
        "rule": "accept when cosine > threshold; threshold = impostor cosine exceeded by FAR × impostor pairs",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
