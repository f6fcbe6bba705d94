"""Which files a scan must look at, and the per-photo work its threads do.

`plan` compares the files on disk with the library (unchanged, changed, moved, returning);
`PhotoWorker` hashes one photo in a worker thread and decides whose it is, then analyses it when it
is new content, with a detector per thread. Decisions follow content: a path whose file changed is
looked at again, and a known photo's faces follow its content to whichever path now holds it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from sqlite_utils import Database

from faceapp import paths
from faceapp.core.analyze import PhotoAnalysis, analyze
from faceapp.core.detect import DetectorSettings, create_detector
from faceapp.core.images import IMAGE_EXTENSIONS, ImageError, set_heif_decode_threads
from faceapp.storage import photos as photo_store
from faceapp.xmp.hint import HEAD as XMP_HEAD
from faceapp.xmp.hint import carries_face_names

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


def iter_image_files(roots: Iterable[str | Path], unlisted: list[tuple[str, tuple[str, str]]] | None = None) -> Iterator[str]:
    """Image files under the roots (or the roots themselves), sorted. Skipped: hidden entries, the
    thumbnail/trash folders of NAS boxes and Windows (NOT_PHOTO_FOLDERS), folders holding a
    `.faceappignore` file, and all of an Apple Photos library but its originals. Folders that can't
    be listed (a path too long for the system, no permission) go into `unlisted` with their reason."""

    def onerror(exc: OSError) -> None:
        if unlisted is not None and exc.errno != errno.ENOENT and exc.filename:
            path = os.fsdecode(exc.filename)
            reason = path_error(path, exc)
            if reason[0] == "unreadable":
                reason = ("folder-unreadable", f"the folder can't be listed: {exc.strerror or exc}")
            unlisted.append((path, reason))

    for root in roots:
        root = Path(root).expanduser().resolve()
        if root.is_file():
            yield str(root)
            continue
        if (root / IGNORE_MARKER).exists():
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):
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
    identity: str | None = None


def file_identity(st: os.stat_result) -> str:
    """Which file a path holds: its inode and its change time. A rename keeps size and mtime but
    gives each name another inode (and on POSIX a new ctime), and writing into a file in place moves
    its ctime even when its mtime is set back; either way the scan looks at its content again."""
    return f"{st.st_ino}:{st.st_ctime_ns}"


def file_hash(path: str) -> str:
    """The content's hash, read in chunks: memory stays flat for a file of any size."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=20)).hexdigest()


@dataclass
class ScanPlan:
    todo: list[str]  # files to look at: new, or their size, mtime or identity changed
    skipped: int  # files unchanged since the last scan
    known: dict[str, tuple[int, str]]  # path -> (photo id, hash) of known photos among the todo files
    by_hash: dict[str, list[tuple[int, str]]]  # hash -> [(photo id, path)] of every photo with content
    unchanged: set[str]  # paths whose file is what the library holds for them
    on_disk: set[str]  # every file found
    backfill: list[tuple[int, str]] = field(default_factory=list)  # (photo id, identity) to record


class PhotoWorker:
    """Per-thread detector; a shared claim table so each known photo follows its content once."""

    def __init__(self, settings: DetectorSettings, plan: ScanPlan) -> None:
        # The scan decodes one photo per worker thread: libheif's own threads (4 by default) only
        # add overhead then (measured on a 12 MP HEIC: 596 ms CPU on one thread, 729 ms on four).
        set_heif_decode_threads(1)
        self.settings = settings
        self.local = threading.local()
        self.plan = plan
        self.claimed: set[int] = set()
        self.digests: dict[str, str | None] = {}  # path -> hash, as the workers read them
        self.lock = threading.Lock()

    def _detector(self):
        det = getattr(self.local, "det", None)
        if det is None:
            det = self.local.det = create_detector(self.settings, paths.YUNET)
        return det

    def _digest(self, path: str) -> str | None:
        if path not in self.digests:
            try:
                self.digests[path] = file_hash(path)
            except OSError:
                self.digests[path] = None
        return self.digests[path]

    def _left(self, owner_path: str, digest: str) -> bool:
        """Has this content left the path its photo had? (moved, or its name now holds another file)"""
        if owner_path in self.plan.unchanged:
            return False
        if owner_path not in self.plan.on_disk:  # gone (or outside the folders scanned: then it must be gone)
            return not os.path.exists(owner_path)
        return self._digest(owner_path) != digest

    def _claim(self, digest: str, path: str) -> int | None:
        """The known photo whose content this file is and which no longer has it at its own path."""
        for pid, owner_path in self.plan.by_hash.get(digest, ()):
            if owner_path == path or pid in self.claimed or not self._left(owner_path, digest):
                continue
            with self.lock:
                if pid not in self.claimed:
                    self.claimed.add(pid)
                    return pid
        return None

    def __call__(self, path: str) -> PhotoResult:
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):  # a pipe or device named like a photo: reading could block forever
                return PhotoResult(path, 0, 0.0, "", error=("not-a-file", "a pipe, device or folder, not a photo file"))
            digest = file_hash(path)
        except OSError as exc:
            return PhotoResult(path, 0, 0.0, "", error=path_error(path, exc))
        self.digests[path] = digest
        res = PhotoResult(path, st.st_size, st.st_mtime, digest, identity=file_identity(st))
        pid, known = self.plan.known.get(path, (None, None))
        if known == digest:  # same content at the same path: keep its faces and decisions
            res.same_as = pid
            return res
        res.moved_from = self._claim(digest, path)
        if res.moved_from is not None:
            return res
        try:
            with open(path, "rb") as fh:
                head = fh.read(XMP_HEAD)
        except OSError:
            head = b""
        res.xmp_names = carries_face_names(path, head)
        try:
            res.analysis = analyze(path, self._detector(), self.settings)
        except ImageError as exc:
            res.error = (exc.reason, exc.detail)
        except cv2.error as exc:
            res.error = ("decode-failed", str(exc).strip().splitlines()[-1][:200])
        return res


def path_error(path: str, exc: OSError) -> tuple[str, str]:
    """A reason for a file the scan cannot open; a path too long for the system gets its own."""
    if exc.errno == errno.ENAMETOOLONG:
        return ("path-too-long", f"the path is {len(os.fsencode(path))} bytes, longer than this system allows; "
                                 "move the file to a folder with a shorter path")
    return ("unreadable", exc.strerror or str(exc))


def plan(db: Database, files: list[str]) -> ScanPlan:
    """Compare the files on disk with the library: a file is skipped only when its size, mtime and
    identity are what the library holds for its path (photos scanned before identities were kept
    are matched on size and mtime, and their identity recorded)."""
    rows = {r.path: r for r in photo_store.all_photos(db)}
    todo, skipped, unchanged, backfill = [], 0, set(), []
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
            ident = file_identity(st)
            if (row.size == st.st_size and row.mtime is not None and abs(row.mtime - st.st_mtime) < 1e-3
                    and row.identity in (None, ident)):
                skipped += 1
                unchanged.add(p)
                if row.identity is None:
                    backfill.append((row.id, ident))
                continue
        todo.append(p)
    by_hash: dict[str, list[tuple[int, str]]] = {}
    for r in rows.values():
        if r.hash:
            by_hash.setdefault(r.hash, []).append((r.id, r.path))
    return ScanPlan(todo, skipped, known, by_hash, unchanged, set(files), backfill)
