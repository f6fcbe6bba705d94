"""Where a photo's XMP sidecar lives, and writing one without ever losing the user's.

Naming. Photo tools disagree: digiKam and darktable use `photo.jpg.xmp`, Lightroom `photo.xmp`.
  1. an existing `photo.jpg.xmp` is used (unambiguous; any letter case);
  2. else `photo.xmp` (existing or new: faceapp's naming so far), unless another file of the
     folder shares the stem (`a.jpg` + `a.png`, or RAW + JPEG, whose `a.xmp` belongs to the RAW in
     Lightroom): then `photo.jpg.xmp`, so two photos never share, nor take over, one sidecar.
With out_dir the sidecars mirror the library's photo folders under it, named by the same rules:
`out_dir/<library folder's name>/<path inside it>/` (an outer folder holds the folders listed inside
it; a name two folders share gets " (2)", " (3)" in sorted order); a photo in no library folder goes
into `out_dir/<its own folder's name>/`. Never the photo's absolute path recreated under out_dir.

Writing. A sidecar faceapp wrote (XMP_MARK) is rewritten whole; any other is merged into
(xmp_merge), or replaced whole with overwrite=True. Only named people's faces are merged into
another tool's sidecar (include_unnamed=True: "Person N" too): there a placeholder would show as a
real person in the user's photo tool; faceapp's own sidecars keep every face as before. Before the first change to a sidecar faceapp
did not write, its bytes are kept once as `<sidecar>.faceapp-bak` (an existing backup is never
replaced). Writes go to a temporary file in the same folder, then os.replace; identical bytes are
not rewritten, so a second export changes nothing. A sidecar that is a symbolic link is left alone
(XmpError): it may lead out of the photo tree, and faceapp never writes through a link.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

from faceapp.xmp.document import XMP_MARK, xmp_document
from faceapp.xmp.merge import merge_regions
from faceapp.xmp.rdf import XmpError, read_sidecar

BACKUP = ".faceapp-bak"
_COMPANIONS = {".xmp", ".aae", ".thm", ".json", ".txt", BACKUP}  # files beside a photo that are not photos


class SidecarNamer:
    """Chooses sidecar paths for one export run (folder listings are read once and cached)."""

    def __init__(self, out_dir: str | Path | None = None, library: Iterable[str] = (),
                 roots: Iterable[str] = ()) -> None:
        """library: every photo path of the library; roots: its photo folders (for out_dir)."""
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self._listing: dict[Path, dict[str, str]] = {}
        self._stems: dict[tuple[Path, str], set[str]] = {}
        for photo in library:
            p = Path(photo)
            self._stems.setdefault((p.parent, p.stem.casefold()), set()).add(p.name)
        folders = sorted({Path(r) for r in roots})
        self._roots = [r for r in folders if not any(o in r.parents for o in folders)]  # the outer ones
        self._mirror: dict[Path, str] = {}  # a library folder (or a loose photo's folder) -> its name under out_dir
        self._taken: set[str] = set()
        for folder in self._roots + sorted({f for f, _ in self._stems if self._root_of(f) is None}):
            self._mirror_name(folder)

    def _root_of(self, folder: Path) -> Path | None:
        return next((r for r in self._roots if r == folder or r in folder.parents), None)

    def _mirror_name(self, folder: Path) -> str:
        if folder not in self._mirror:
            base, n = folder.name or "photos", 1
            name = base
            while name.casefold() in self._taken:
                n += 1
                name = f"{base} ({n})"
            self._taken.add(name.casefold())
            self._mirror[folder] = name
        return self._mirror[folder]

    def _out_folder(self, folder: Path) -> Path:
        assert self.out_dir is not None
        root = self._root_of(folder)
        if root is None:
            return self.out_dir / self._mirror_name(folder)
        return self.out_dir / self._mirror_name(root) / folder.relative_to(root)

    def _names(self, folder: Path) -> dict[str, str]:
        """casefolded file name → the name as on disk (an exact-case name wins a clash)."""
        if folder not in self._listing:
            try:
                names = sorted(e.name for e in os.scandir(folder) if e.is_file())
            except OSError:
                names = []
            found: dict[str, str] = {}
            for n in names:
                found.setdefault(n.casefold(), n)
            self._listing[folder] = found
        return self._listing[folder]

    def _shared(self, p: Path) -> bool:
        others = {n for n in self._stems.get((p.parent, p.stem.casefold()), ()) if n != p.name}
        for n in self._names(p.parent).values():
            q = Path(n)
            if n != p.name and q.stem.casefold() == p.stem.casefold() and q.suffix.casefold() not in _COMPANIONS:
                others.add(n)
        return bool(others)

    def _find(self, folder: Path, name: str) -> Path | None:
        if (folder / name).is_file():
            return folder / name
        on_disk = self._names(folder).get(name.casefold())
        return folder / on_disk if on_disk else None

    def path(self, photo: str) -> Path:
        p = Path(photo)
        folder = p.parent if self.out_dir is None else self._out_folder(p.parent)
        long = self._find(folder, p.name + ".xmp")
        if long is not None:
            return long
        if self._shared(p):
            return folder / (p.name + ".xmp")
        return self._find(folder, p.stem + ".xmp") or folder / (p.stem + ".xmp")


def atomic_write(dst: Path, data: bytes) -> None:
    """dst gets data whole or not at all; an existing file's permissions are kept."""
    tmp = dst.with_name(f".{dst.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if dst.exists():
            shutil.copymode(dst, tmp)
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def keep_backup(dst: Path, data: bytes) -> None:
    bak = dst.with_name(dst.name + BACKUP)
    if not os.path.lexists(bak):  # whatever is there (a link too) is left as it is
        atomic_write(bak, data)
        shutil.copystat(dst, bak)


def is_foreign(dst: Path) -> bool:
    """A sidecar is there and another tool wrote it."""
    try:
        data = read_sidecar(dst)
    except (OSError, XmpError):
        return False
    return data is not None and XMP_MARK.encode() not in data


def write_sidecar(dst: Path, width: int, height: int, faces: list[dict], overwrite: bool = False,
                  include_unnamed: bool = False, library: dict[int, dict] | None = None,
                  boxes: dict | None = None, orientation: int = 1) -> tuple[str, bool]:
    """("written" | "merged" | "none", whether any byte changed). Unnamed people ("Person N") go in
    only with include_unnamed; a sidecar of faceapp's own that has nothing left to say is rewritten
    without regions (stale ones leave), and none is created for nothing ("none"). library and boxes:
    the photo's faces, for refreshing regions merged on earlier runs (xmp_merge.merge_regions);
    orientation: the photo's EXIF orientation (regions are written on the image as stored).
    Raises XmpError for a foreign sidecar that cannot be merged (it is left untouched) and OSError."""
    old = read_sidecar(dst)  # a link, folder, device or pipe named like a sidecar: XmpError, left alone
    ours = old is None or XMP_MARK.encode() in old

    def keep(f: dict) -> bool:
        return include_unnamed or f.get("named", True)

    faces = [f for f in faces if keep(f)]
    if old is None and not faces:
        return "none", False
    if ours or overwrite:
        if old is not None:  # a sidecar faceapp rewrites whole keeps every exportable face of its photo,
            # not only this run's selection: exporting one person must not empty the others' regions
            every = {f["face_id"]: f for f in (library or {}).values() if keep(f)}
            every.update({f.get("face_id", id(f)): f for f in faces})
            faces = sorted(every.values(), key=lambda f: f.get("face_id", 0))
        kind, new = "written", xmp_document(width, height, faces, orientation).encode("utf-8")
    else:
        lib = {k: f for k, f in (library or {}).items() if keep(f)}
        kind, new = "merged", merge_regions(old, width, height, faces, lib, boxes, orientation)
    if new == old:
        return kind, False
    if not ours:
        keep_backup(dst, old)
    dst.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(dst, new)
    return kind, True
