"""Which files a scan must look at, and the per-photo work its threads do.

`plan` compares the files on disk with the library (unchanged, changed, moved, returning);
`PhotoWorker` reads, hashes and analyses one photo in a worker thread, with a detector per thread.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
from sqlite_utils import Database

from faceapp import paths
from faceapp.core.analyze import PhotoAnalysis, analyze
from faceapp.core.detect import DetectorSettings, create_detector
from faceapp.core.images import IMAGE_EXTENSIONS, ImageError
from faceapp.jobs.xmp_hint import carries_face_names
from faceapp.storage import photos as photo_store

# Folders that hold copies, thumbnails or trash of photos, never photos of their own: NAS thumbnail
# and recycle folders (Synology, QNAP), Windows' recycle bin and system folders, fsck's lost+found.
NOT_PHOTO_FOLDERS = frozenset({"@eadir", "#recycle", "#snapshot", "@recycle", "$recycle.bin",
                               "system volume information", "lost+found"})
IGNORE_MARKER = ".faceappignore"  # a folder holding this file is skipped with everything below it
# Inside an Apple Photos library only the originals are photos; the rest are renders and thumbnails.
PHOTOS_LIBRARY_KEEP = ("originals", "Masters")


def _subfolders(dirpath: str, dirnames: list[str]) -> list[str]:
    keep = [d for d in dirnames if not d.startswith(".") and d.lower() not in NOT_PHOTO_FOLDERS]
    if dirpath.endswith(".photoslibrary"):
        keep = [d for d in keep if d in PHOTOS_LIBRARY_KEEP]
    return sorted(d for d in keep if not os.path.exists(os.path.join(dirpath, d, IGNORE_MARKER)))


def iter_image_files(roots: Iterable[str | Path]) -> Iterator[str]:
    """Image files under the roots (or the roots themselves), sorted. Skipped: hidden entries, the
    thumbnail/trash folders of NAS boxes and Windows (NOT_PHOTO_FOLDERS), folders holding a
    `.faceappignore` file, and all of an Apple Photos library but its originals."""
    for root in roots:
        root = Path(root).expanduser().resolve()
        if root.is_file():
            yield str(root)
            continue
        if (root / IGNORE_MARKER).exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = _subfolders(dirpath, dirnames)
            for name in sorted(filenames):
                if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_EXTENSIONS:
                    yield os.path.join(dirpath, name)


@dataclass
class PhotoResult:
    path: str
    size: int
    mtime: float
    digest: str
    analysis: PhotoAnalysis | None = None
    error: tuple[str, str] | None = None
    moved_from: int | None = None  # photo id whose content this is
    same_as: int | None = None  # photo id already holding this path and content (touched or back again)
    xmp_names: bool = False  # its XMP (embedded or sidecar) seems to name faces: worth `faceapp import xmp`


class PhotoWorker:
    """Per-thread detector; shared read-only claim table for moved files."""

    def __init__(self, settings: DetectorSettings, orphans: dict[str, int], known: dict[str, tuple[int, str]]) -> None:
        self.settings = settings
        self.local = threading.local()
        self.orphans = orphans
        self.known = known
        self.lock = threading.Lock()

    def _detector(self):
        det = getattr(self.local, "det", None)
        if det is None:
            det = self.local.det = create_detector(self.settings, paths.YUNET)
        return det

    def __call__(self, path: str) -> PhotoResult:
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):  # a pipe or device named like a photo: reading could block forever
                return PhotoResult(path, 0, 0.0, "", error=("not-a-file", "a pipe, device or folder, not a photo file"))
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            return PhotoResult(path, 0, 0.0, "", error=("unreadable", exc.strerror or str(exc)))
        res = PhotoResult(path, st.st_size, st.st_mtime, hashlib.blake2b(data, digest_size=20).hexdigest())
        pid, digest = self.known.get(path, (None, None))
        if digest == res.digest:  # same content at the same path: keep its faces and decisions
            res.same_as = pid
            return res
        with self.lock:
            res.moved_from = self.orphans.pop(res.digest, None)
        if res.moved_from is not None:
            return res
        res.xmp_names = carries_face_names(path, data)
        try:
            res.analysis = analyze(data, self._detector(), self.settings)
        except ImageError as exc:
            res.error = (exc.reason, exc.detail)
        except cv2.error as exc:
            res.error = ("decode-failed", str(exc).strip().splitlines()[-1][:200])
        return res


def plan(db: Database, files: list[str]) -> tuple[list[str], int, dict[str, int], dict[str, tuple[int, str]]]:
    """(files to process, number unchanged, {hash: photo id} of known photos whose file is gone,
    {path: (photo id, hash)} of known photos among the files to process)."""
    rows = {r.path: r for r in photo_store.all_photos(db)}
    todo, skipped = [], 0
    known = {}
    for p in files:
        row = rows.get(p)
        if row and row.hash and row.status in ("done", "missing"):
            known[p] = (row.id, row.hash)
        if row and row.status in ("done", "error"):
            try:
                st = os.stat(p)
            except OSError:
                todo.append(p)
                continue
            if row.size == st.st_size and row.mtime is not None and abs(row.mtime - st.st_mtime) < 1e-3:
                skipped += 1
                continue
        todo.append(p)
    orphans: dict[str, int] = {}
    if any(p not in rows for p in todo):  # only a path the library has never seen can be a moved file
        seen = set(files)
        for r in rows.values():
            if r.hash and r.path not in seen and not os.path.exists(r.path):
                orphans.setdefault(r.hash, r.id)
    return todo, skipped, orphans, known
