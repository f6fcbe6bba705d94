"""Labeled benchmark libraries: a folder per person scanned into a library, its labeled faces, and
the fixed dev/test halves of its people (explore on dev, report on test). Shared by `faceapp eval
clusters` and `faceapp bench review`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

HALVES = ("all", "dev", "test")


def people_half(names: list[str], half: str) -> set[str]:
    """A deterministic half of the people: folder names sorted, dev = 1st, 3rd, …; test = 2nd, 4th, ….

    Choices are explored on dev and reported on test, so a figure is not tuned on the labels it
    reports."""
    if half not in HALVES:
        raise ValueError(f"--people must be one of {', '.join(HALVES)}")
    ordered = sorted(set(names))
    return set(ordered if half == "all" else ordered[0::2] if half == "dev" else ordered[1::2])


def labeled_faces(db, root: Path, half: str = "all") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], int]:  # noqa: ANN001
    """(face ids, embeddings, photo per face, labeled mask, truth of labeled faces, photos without a face).

    The labeled face of a photo is its largest; its person is the photo's folder under root. With
    `half` dev or test only the photos of that half of the people are kept (a library of those people).
    """
    from faceapp.jobs.recluster import library_vectors
    from faceapp.storage.faces import face_rows
    from faceapp.storage.photos import photos_under

    ids, x = library_vectors(db)
    prefix = str(root.resolve()).rstrip("/") + "/"
    rows = {r["id"]: r for r in face_rows(db, under=prefix)}
    base = root.resolve()
    photo_folders = [Path(p.path).relative_to(base).parts[0] for p in photos_under(db, prefix) if p.status == "done"]
    chosen = people_half(photo_folders, half)
    folder = {f: Path(r["path"]).relative_to(base).parts[0] for f, r in rows.items()}
    rows = {f: r for f, r in rows.items() if folder[f] in chosen}
    keep = np.array([f in rows for f in ids.tolist()], bool)
    ids, x = ids[keep], x[keep]
    photo = np.array([rows[f]["photo_id"] for f in ids.tolist()], np.int64)
    area = np.array([rows[f]["w"] * rows[f]["h"] for f in ids.tolist()])
    best: dict[int, int] = {}
    for k, (p, a) in enumerate(zip(photo.tolist(), area.tolist(), strict=True)):
        if p not in best or a > area[best[p]]:
            best[p] = k
    labeled = np.zeros(len(ids), bool)
    labeled[list(best.values())] = True
    truth = [folder[f] for f in ids[labeled].tolist()]
    n_photos = sum(f in chosen for f in photo_folders)
    return ids, x, photo, labeled, truth, int(n_photos - len(best))
