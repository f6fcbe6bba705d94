"""Labeled albums (a folder per person): find the album's person in every photo.

A photo may hold several faces; the labeled person is the album's *dominant identity by
embedding*, not simply the largest face. We embed every face with the base model, seed the
identity with the face that has the most look-alikes in the album's other photos, then pick in each
photo the face nearest the identity's centre. Photos where no face is close enough, or where two
faces are about equally close, are reported and left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from faceapp.progress import ProgressFn, report
from trainer.data.faceset import FaceSet, person_folders

MATCH = 0.30  # cosine: same person for the base SFace model (a little below its 1e-3 FAR point)
AMBIGUOUS = 0.05  # best face must beat the runner-up by this much


def detect_faces(files: list[Path], workers: int = 2) -> list[tuple[list[np.ndarray], list[float], str | None]]:
    """For each file: (aligned crops of every face, their box areas, error or None)."""
    import threading

    from faceapp import paths
    from faceapp.core.analyze import analyze
    from faceapp.core.detect import DetectorSettings, create_detector
    from faceapp.core.images import ImageError

    settings = DetectorSettings()
    local = threading.local()

    def one(path: Path) -> tuple[list[np.ndarray], list[float], str | None]:
        det = getattr(local, "det", None) or create_detector(settings, paths.YUNET)
        local.det = det
        try:
            a = analyze(path.read_bytes(), det, settings)
        except (ImageError, OSError) as exc:
            return [], [], getattr(exc, "reason", "unreadable")
        return [f.crop for f in a.faces], [float(f.detection.box[2] * f.detection.box[3]) for f in a.faces], None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, files))


def dominant_choice(embs: list[np.ndarray], match: float = MATCH, ambiguous: float = AMBIGUOUS) -> list[int | str]:
    """Per photo: the index of the album person's face, or a reason ('no-face', 'not-found', 'ambiguous').

    embs[i] is the L2-normalised n_i×D embeddings of photo i's faces.
    """
    owners = np.concatenate([np.full(len(e), i) for i, e in enumerate(embs)]) if embs else np.zeros(0)
    flat = [e for e in embs if len(e)]
    if not flat:
        return ["no-face"] * len(embs)
    allv = np.concatenate(flat)
    sims = allv @ allv.T
    other = owners[:, None] != owners[None, :]
    # votes: in how many *other* photos does this face have a look-alike
    votes = np.array([len(np.unique(owners[(sims[k] > match) & other[k]])) for k in range(len(allv))])
    seed = int(np.argmax(votes))
    centre = allv[seed]
    for _ in range(3):
        chosen = [allv[owners == i][np.argmax(allv[owners == i] @ centre)] for i in range(len(embs)) if len(embs[i])]
        good = [c for c in chosen if c @ centre > match] or [allv[seed]]
        centre = np.mean(good, axis=0)
        centre /= np.linalg.norm(centre) + 1e-12
    out: list[int | str] = []
    for e in embs:
        if not len(e):
            out.append("no-face")
            continue
        s = e @ centre
        order = np.argsort(-s)
        if s[order[0]] < match:
            out.append("not-found")
        elif len(s) > 1 and s[order[0]] - s[order[1]] < ambiguous:
            out.append("ambiguous")
        else:
            out.append(int(order[0]))
    return out


def load_albums(root: str | Path, embed: Callable[[np.ndarray], np.ndarray] | None = None, workers: int = 2,
                progress: ProgressFn | None = None) -> FaceSet:
    """Every album under root as a FaceSet of the album person's faces; `skipped` says which photos
    were left out and why. `embed` maps N×112×112×3 crops to L2-normalised embeddings (base model)."""
    if embed is None:
        from faceapp import paths
        from faceapp.core.embed import Embedder

        embed = Embedder(paths.SFACE, device="cpu").embed
    crops, labels, names, sources, skipped = [], [], [], [], []
    albums = person_folders(root)
    total, done = sum(len(f) for _, f in albums), 0
    for name, files in albums:
        found = detect_faces(files, workers)
        embs = [embed(np.stack(c)) if c else np.zeros((0, 1), np.float32) for c, _, _ in found]
        choice = dominant_choice(embs)
        names.append(name)
        for f, (faces, _, err), pick in zip(files, found, choice, strict=False):
            if err or isinstance(pick, str):
                skipped.append((str(f), err or str(pick)))
                continue
            crops.append(faces[pick])
            labels.append(len(names) - 1)
            sources.append(str(f))
        done += len(files)
        report(progress, "finding the faces in the albums", done, total, name)
    arr = np.stack(crops) if crops else np.zeros((0, 112, 112, 3), np.uint8)
    return FaceSet(arr, np.array(labels, np.int64), names, sources, skipped)
