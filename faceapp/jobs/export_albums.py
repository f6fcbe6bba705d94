"""One person's album folder: which folder is faceapp's to use, and adding photos to it safely.

A folder is faceapp's when it holds faceapp's manifest (`.faceapp-album.json`: photo path -> file
name), or when everything in it is an export of the person's photos (an export killed before its
manifest was saved), or when it is empty. Anything else at the name (the user's own folder, a file,
a link to a folder elsewhere) is left alone and the next name ("Ann (2)") is tried. Each folder
gets a `.faceappignore` file, so a scan of a folder that holds the albums never takes the copies for
new photos (faceapp.jobs.scan_plan skips folders holding one).

In the folder a photo keeps the entry faceapp made for it on an earlier run (an entry of another
mode is replaced in one rename: a link is never written through); a photo without one gets a new
entry under a name where nothing is, recognising an entry a killed run left for the same photo.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from faceapp.jobs.export_files import clean_temporaries, create, fit_name, kind_of, numbered, replace, write_file
from faceapp.types import ExportMode

MANIFEST = ".faceapp-album.json"
MARKER = ".faceappignore"  # faceapp.jobs.scan_plan.IGNORE_MARKER (not imported: that module loads OpenCV)
MARKER_TEXT = b"faceapp: this folder holds an album faceapp exported; scans skip it.\n"
SAVE_EVERY = 200
_NUMBER = re.compile(r" \(\d+\)(?=\.[^.]*$|$)")


def _is_regular(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.lstat().st_mode)
    except OSError:
        return False


def _read_manifest(folder: Path) -> dict[str, str] | None:
    """The manifest, {} for a damaged one, None where there is none (or a link in its place)."""
    p = folder / MANIFEST
    if not _is_regular(p):
        return None
    try:
        data = json.loads(p.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and "/" not in v and v not in ("", ".", "..")}


def _all_exports_of(folder: Path, photos: Iterable[str]) -> bool:
    """Every visible entry of folder is an export (link or copy) of one of photos."""
    by_name: dict[str, list[str]] = {}
    for p in photos:
        by_name.setdefault(fit_name(Path(p).name).casefold(), []).append(p)
    try:
        entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
    except OSError:
        return False
    for e in entries:
        base = _NUMBER.sub("", e.name).casefold()
        if not any(kind_of(Path(e.path), src) for src in by_name.get(base, ())):
            return False
    return True


def _usable(folder: Path, photos: list[str]) -> bool:
    try:
        if not stat.S_ISDIR(folder.lstat().st_mode):
            return False  # a file, or a link (to a folder elsewhere): never written through
    except OSError:
        return False
    return _read_manifest(folder) is not None or _all_exports_of(folder, photos)


class Album:
    """A person's folder, ready to take photos."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._unsaved = 0
        found = _read_manifest(folder)
        self.manifest: dict[str, str] = found or {}
        self._owner = {n.casefold(): src for src, n in self.manifest.items()}  # file name -> its photo
        clean_temporaries(folder)
        try:
            fd = os.open(folder / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
            with os.fdopen(fd, "wb") as fh:
                fh.write(MARKER_TEXT)
        except FileExistsError:
            pass  # the user's own marker, or ours from an earlier run
        if found is None:
            self.save()  # from now on the folder is recognised as faceapp's, even if this run is killed

    @classmethod
    def open(cls, out: Path, name: str, photos: list[str], used: set[str]) -> Album:
        """The first of "name", "name (2)", ... that is faceapp's to use (or free: created)."""
        for cand in numbered(name, directory=True):
            if cand.casefold() in used:
                continue
            folder = out / cand
            try:
                folder.mkdir()
            except FileExistsError:
                if not _usable(folder, photos):
                    continue
            used.add(cand.casefold())
            return cls(folder)
        raise AssertionError("unreachable")  # numbered() never ends

    def add(self, src: str, mode: ExportMode) -> bool:
        """Put src in the album; False when the album already had it as this mode. The manifest is
        saved every SAVE_EVERY new entries, so a killed run leaves little to compare byte by byte."""
        added = self._add(src, mode)
        self._unsaved += added
        if self._unsaved >= SAVE_EVERY:
            self.save()
        return added

    def _add(self, src: str, mode: ExportMode) -> bool:
        known = self.manifest.get(src)
        if known:
            entry = self.folder / known
            kind = kind_of(entry, src, listed=True)
            if kind == mode:
                return False
            if kind is not None:
                replace(src, entry, mode)  # faceapp's own entry of another mode (a link is replaced, not followed)
                return True
        for cand in numbered(fit_name(Path(src).name)):
            if self._owner.get(cand.casefold(), src) != src or cand in (MANIFEST, MARKER):
                continue  # another photo's name in the manifest
            entry = self.folder / cand
            if not os.path.lexists(entry):
                try:
                    create(src, entry, mode)
                    self._record(src, cand)
                    return True
                except FileExistsError:
                    pass  # made meanwhile
            if kind_of(entry, src) is not None:
                self._record(src, cand)  # left by a killed run: taken as it is
                return False
            # something else is there: never replaced, the next name is tried
        raise AssertionError("unreachable")

    def _record(self, src: str, name: str) -> None:
        old = self.manifest.get(src)
        if old is not None and self._owner.get(old.casefold()) == src:
            del self._owner[old.casefold()]
        self.manifest[src] = name
        self._owner[name.casefold()] = src

    def save(self) -> None:
        self._unsaved = 0
        write_file(self.folder / MANIFEST, json.dumps(self.manifest, indent=1, ensure_ascii=False).encode("utf-8"))
