"""FaceSet: aligned crops with integer labels, the one shape every data source is turned into.

Kept as plain numpy (N×112×112×3 uint8) so a set can be cached in an .npz and split per person
without touching torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}


@dataclass
class FaceSet:
    crops: np.ndarray  # N×112×112×3 RGB uint8 (aligned, faceapp.core.align)
    labels: np.ndarray  # N int64, index into names
    names: list[str]
    sources: list[str] = field(default_factory=list)  # file path or "face:<id>" per crop
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (source, reason) left out
    anchors: np.ndarray | None = None  # crops of the same library's faces nobody labeled (training distils on them)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def num_classes(self) -> int:
        return len(self.names)

    def subset(self, idx: np.ndarray, relabel: bool = False) -> FaceSet:
        """Rows idx; relabel=True renumbers the people present to 0..k-1 (for a fresh classifier)."""
        idx = np.asarray(idx, dtype=np.int64)
        labels, names = self.labels[idx], list(self.names)
        if relabel:
            keep = np.unique(labels)
            remap = {int(o): n for n, o in enumerate(keep)}
            labels = np.array([remap[int(v)] for v in labels], dtype=np.int64)
            names = [self.names[int(o)] for o in keep]
        srcs = [self.sources[i] for i in idx] if self.sources else []
        return FaceSet(self.crops[idx], labels, names, srcs)

    def split_people(self, frac: float, seed: int = 0) -> tuple[FaceSet, FaceSet]:
        """(first frac of the people, the others): the 'seen' and 'never seen' halves."""
        rng = np.random.default_rng(seed)
        people = rng.permutation(self.num_classes)
        cut = int(round(frac * self.num_classes))
        a = np.isin(self.labels, people[:cut])
        return self.subset(np.flatnonzero(a), True), self.subset(np.flatnonzero(~a), True)

    def split_photos(self, frac: float, seed: int = 0) -> tuple[FaceSet, FaceSet]:
        """(frac of each person's faces, the rest), so every person appears on both sides."""
        rng = np.random.default_rng(seed)
        first = []
        for c in range(self.num_classes):
            idx = rng.permutation(np.flatnonzero(self.labels == c))
            first.extend(idx[: max(1, int(round(frac * len(idx))))] if len(idx) > 1 else idx)
        mask = np.zeros(len(self), bool)
        mask[np.asarray(first, dtype=np.int64)] = True
        return self.subset(np.flatnonzero(mask)), self.subset(np.flatnonzero(~mask))

    def save(self, path: str | Path) -> None:
        np.savez_compressed(path, crops=self.crops, labels=self.labels, names=np.array(self.names),
                            sources=np.array(self.sources), skipped=np.array(self.skipped, dtype=str).reshape(-1, 2))

    @classmethod
    def load(cls, path: str | Path) -> FaceSet:
        z = np.load(path, allow_pickle=False)
        return cls(z["crops"], z["labels"].astype(np.int64), [str(s) for s in z["names"]],
                   [str(s) for s in z["sources"]], [tuple(map(str, r)) for r in z["skipped"]])


def person_folders(root: str | Path) -> list[tuple[str, list[Path]]]:
    """(name, image files) per sub-folder of root, sorted; folders without images are left out."""
    out = []
    for d in sorted(p for p in Path(root).iterdir() if p.is_dir()):
        files = sorted(f for f in d.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
        if files:
            out.append((d.name, files))
    return out


def load_aligned_folders(root: str | Path, size: int = 112) -> FaceSet:
    """Folders of already aligned crops (one folder per person), e.g. glint_aligned."""
    crops, labels, names, sources, skipped = [], [], [], [], []
    for name, files in person_folders(root):
        names.append(name)
        for f in files:
            bgr = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if bgr is None:
                skipped.append((str(f), "unreadable"))
                continue
            if bgr.shape[:2] != (size, size):
                bgr = cv2.resize(bgr, (size, size), interpolation=cv2.INTER_AREA)
            crops.append(bgr[:, :, ::-1])
            labels.append(len(names) - 1)
            sources.append(str(f))
    arr = np.stack(crops) if crops else np.zeros((0, size, size, 3), np.uint8)
    return FaceSet(np.ascontiguousarray(arr), np.array(labels, np.int64), names, sources, skipped)


def split_guard(tr: FaceSet, val: FaceSet, held: FaceSet, seed: int, frac: float = 0.15,
                min_people: int = 20) -> tuple[FaceSet, FaceSet, FaceSet, FaceSet]:
    """Move GUARD people (frac of them, at least 2; none when fewer than min_people, where
    every person is worth more as training data) out of training:
    their training faces become the guard set, their held-out faces are dropped. Returns
    (train, val, held-out, guard), labels renumbered."""
    n = tr.num_classes
    if n < min_people:
        return tr, val, held, FaceSet(tr.crops[:0], tr.labels[:0], [])
    people = np.random.default_rng(seed + 7).permutation(n)
    g = people[: max(2, int(round(frac * n)))]

    def part(fs: FaceSet, inside: bool) -> FaceSet:
        mask = np.isin(fs.labels, g) == inside
        return fs.subset(np.flatnonzero(mask), relabel=True)

    guard_all = FaceSet(np.concatenate([tr.crops, val.crops]), np.concatenate([tr.labels, val.labels]), tr.names)
    return part(tr, False), part(val, False), part(held, False), part(guard_all, True)
