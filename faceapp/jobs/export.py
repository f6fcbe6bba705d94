"""Export people: albums (copy / hard link / symbolic link), a CSV or JSON table, XMP face regions.

    export_albums(db, out_dir, mode="copy", person_ids=None, include_unnamed=False) -> ExportResult
    export_together(db, out_dir, with_ids, without_ids=(), mode="copy") -> ExportResult   one album "Ann & Ben"
    export_table(db, out_file, fmt="csv"|"json", person_ids=None, rename=False) -> ExportResult
    export_xmp(db, overwrite=False, person_ids=None, out_dir=None, include_unnamed=False) -> ExportResult

Exports never replace what faceapp did not write and never write through a link (export_files).
Albums: one folder per person, named after the person (unsafe characters replaced, cut to 255
bytes; two people with one name get "Ann", "Ann (2)"); two photos with one file name get "x.jpg",
"x (2).jpg". Re-running an export adds only what is missing, and picks up after a killed run; each
album folder holds a .faceappignore, so albums inside a scanned folder are not scanned as new
photos (export_albums). Hidden people and not-a-face marks are left out. A CSV's text cells that
a spreadsheet would run as a formula get a leading ' (OWASP).
XMP sidecars (beside each photo, or under out_dir mirroring the library folders; photo.xmp or photo.jpg.xmp,
see xmp_sidecar) carry MWG face regions (mwg-rs, as Lightroom, digiKam and exiftool read them) and
Iptc4xmpExt:PersonInImage. A sidecar another tool wrote is merged into, never replaced (xmp_merge),
unless overwrite=True; either way its original is kept once as <sidecar>.faceapp-bak. Only named
people get regions (include_unnamed=True: all), and regions faceapp wrote on an earlier run are
rewritten from the library each time, so stale ones leave (from its own sidecars too).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlite_utils import Database

from faceapp.errors import FaceappError
from faceapp.jobs.export_albums import Album
from faceapp.jobs.export_files import NAME_MAX, csv_cell, cut_utf8, numbered, read_head, write_file
from faceapp.progress import ProgressFn, StopFn, report
from faceapp.storage import views
from faceapp.storage.people import clean_name
from faceapp.storage.photos import photo_paths
from faceapp.storage.roots import library_folders
from faceapp.types import EXPORT_MODES, ExportMode, person_label
from faceapp.xmp.document import XMP_MARK, faceapp_areas, photo_orientation
from faceapp.xmp.rdf import XmpError, read_sidecar
from faceapp.xmp.regions import MARK_NS
from faceapp.xmp.sidecar import SidecarNamer, write_sidecar


class ExportError(FaceappError, ValueError):
    """An export that can't be done as asked (nothing to export, an unknown person, no room to write)."""


_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}  # every later file would fail the same way: stop
STAGE = "exporting"  # the Progress stage: done/total photos (albums), sidecars visited (XMP), rows (tables)


class _Steps:
    """Counts an export's units for Progress and asks stop() before each one."""

    def __init__(self, total: int, progress: ProgressFn | None, stop: StopFn | None, res: ExportResult) -> None:
        self.done, self.total, self.progress, self.stop, self.res = 0, total, progress, stop, res

    def stopped(self) -> bool:
        if self.stop is not None and self.stop():
            self.res.cancelled = True
        return self.res.cancelled

    def step(self, text: str = "") -> None:
        self.done += 1
        report(self.progress, STAGE, self.done, self.total, text)


@dataclass
class ExportResult:
    written: int = 0  # xmp: sidecars faceapp owns, new or rewritten whole (overwrite=True: foreign ones too)
    skipped: int = 0  # already there (albums); xmp: a foreign sidecar left untouched (its reason in errors)
    merged: int = 0  # xmp: other tools' sidecars that got faceapp's regions, the rest kept
    unchanged: int = 0  # xmp: of written + merged, those that already held exactly this (not rewritten)
    people: int = 0
    out: str = ""
    errors: list[str] = field(default_factory=list)
    cancelled: bool = False  # stop() ended it early; what was written stays and a re-run goes on

    def as_dict(self) -> dict:
        return asdict(self)


def face_table(db: Database, person_ids: list[int] | None = None, named_only: bool = False) -> list[dict]:
    """Every assigned face of a visible person: photo path, box, person, score, decision source."""
    out = views.exported_faces(db)
    if person_ids is not None:
        chosen = set(person_ids)
        out = [r for r in out if r["person_id"] in chosen]
    for r in out:
        r["person"] = clean_name(r["person"])  # a name stored before names were cleaned: no control characters out
    if named_only:
        out = [r for r in out if r["person"]]
    for r in out:
        r["named"] = bool(r["person"])  # xmp merges: only a real name replaces another tool's face region
        r["person"] = person_label(r["person_id"], r["person"])
    return out


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(name: str) -> str:
    """A folder name for a person: unsafe characters replaced, at most 255 bytes of valid UTF-8."""
    s = _UNSAFE.sub("_", name).strip().strip(".")
    return cut_utf8(s, NAME_MAX).rstrip(" .") or "unnamed"


def _out_folder(out_dir: str | Path | None, what: str) -> Path:
    if out_dir is None:
        raise ExportError(f"{what} need an output folder (--out)")
    out = Path(out_dir)
    if os.path.lexists(out) and not out.is_dir():
        raise ExportError(f"{out} is not a folder: {what} need a folder (--out)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out}: {exc.strerror or exc}") from None
    return out


def export_albums(db: Database, out_dir: str | Path, mode: ExportMode = "copy", person_ids: list[int] | None = None,
                  include_unnamed: bool = False, progress: ProgressFn | None = None,
                  stop: StopFn | None = None) -> ExportResult:
    """Never replaces or writes through what it did not make (export_albums module); a re-run adds
    what is missing and picks up after a killed run (or one ended by stop())."""
    if mode not in EXPORT_MODES:
        raise ExportError(f"unknown mode {mode!r} ({', '.join(EXPORT_MODES)})")
    out = _out_folder(out_dir, "albums")
    res = ExportResult(out=str(out))
    table = face_table(db, person_ids, named_only=not include_unnamed and person_ids is None)
    by_person: dict[int, tuple[str, list[str]]] = {}
    for r in table:
        by_person.setdefault(r["person_id"], (r["person"], []))[1].append(r["photo"])
    folders: set[str] = set()
    albums = [(by_person[pid][0], sorted(set(by_person[pid][1])))
              for pid in sorted(by_person, key=lambda p: (by_person[p][0].casefold(), p))]
    steps = _Steps(sum(len(photos) for _, photos in albums), progress, stop, res)
    for name, photos in albums:
        if steps.stopped():
            break
        _fill_album(out, name, photos, mode, folders, res, steps)
    return res


def export_together(db: Database, out_dir: str | Path, with_ids: list[int], without_ids: list[int] = (),
                    mode: ExportMode = "copy", progress: ProgressFn | None = None, stop: StopFn | None = None) -> ExportResult:
    """One album of the photos where all of with_ids appear and none of without_ids, in a folder
    named after them ("Ann & Ben"), as safely as export_albums (res.people: albums, 0 or 1)."""
    from faceapp.jobs.photos import album_name, photos_together

    if mode not in EXPORT_MODES:
        raise ExportError(f"unknown mode {mode!r} ({', '.join(EXPORT_MODES)})")
    if not with_ids:
        raise ExportError("an album of people together needs at least one person (--with)")
    photos = sorted({p.path for p in photos_together(db, with_ids, without_ids)})
    out = _out_folder(out_dir, "albums")
    res = ExportResult(out=str(out))
    if photos:
        _fill_album(out, album_name(db, with_ids, without_ids), photos, mode, set(), res,
                    _Steps(len(photos), progress, stop, res))
    return res


def _fill_album(out: Path, name: str, photos: list[str], mode: ExportMode, folders: set[str], res: ExportResult,
                steps: _Steps) -> None:
    """The album `name` under out (a folder faceapp may use: see Album.open) gets photos; res counts."""
    try:
        album = Album.open(out, safe_name(name), photos, folders)
    except OSError as exc:
        res.errors.append(f"{name}: {exc.strerror or exc}")
        return
    for src in photos:
        if steps.stopped():
            break
        try:
            added = album.add(src, mode)
        except OSError as exc:
            if exc.errno in _NO_ROOM:
                _save_quietly(album)
                raise ExportError(f"{album.folder}: {exc.strerror}; stopped after {res.written} new "
                                  "files (run the export again to go on)") from None
            res.errors.append(f"{src}: {exc.strerror or exc}")
            steps.step(name)
            continue
        res.written += added
        res.skipped += not added
        steps.step(name)
    try:
        album.save()
    except OSError as exc:
        res.errors.append(f"{album.folder}: {exc.strerror or exc}")
    res.people += 1


def _save_quietly(album: Album) -> None:
    try:
        album.save()
    except OSError:
        pass  # the next run recognises the entries without it


TABLE_COLUMNS = ["photo", "face_id", "x", "y", "w", "h", "person_id", "person", "score", "source"]


def _is_our_table(path: Path) -> bool:
    """A CSV or JSON table faceapp wrote (its header / first key), so a new export may replace it."""
    head = read_head(path)
    if head is None:
        return False
    return head.startswith(",".join(TABLE_COLUMNS).encode() + b"\r\n") or bool(re.match(rb'\[\s*(\]|\{\s*"photo":)', head))


def _table_path(out: Path, rename: bool) -> Path:
    """out, or where a file faceapp did not write is there already: an error, or (rename) out (2).csv ..."""
    for name in numbered(out.name):
        cand = out.with_name(name)
        if os.path.isdir(cand):
            if not rename:
                raise ExportError(f"{cand} is a folder: a table needs a file name (--out)")
        elif not os.path.lexists(cand) or _is_our_table(cand):
            return cand
        elif not rename:
            raise ExportError(f"{cand} is there and was not written by faceapp: choose another file (--out)")
    raise AssertionError("unreachable")


def export_table(db: Database, out_file: str | Path, fmt: str = "csv", person_ids: list[int] | None = None,
                 rename: bool = False, progress: ProgressFn | None = None, stop: StopFn | None = None) -> ExportResult:
    """A file faceapp did not write is never replaced (rename=True: the next free "faces (2).csv" is
    used instead of an error); a link at the name is replaced, never written through. CSV text cells
    that a spreadsheet would run as a formula get a leading ' (names may come from other tools' XMP)."""
    if out_file is None:
        raise ExportError("a table needs an output file (--out)")
    if fmt not in ("csv", "json"):
        raise ExportError(f"unknown table format {fmt!r} (csv, json)")
    out = Path(out_file)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create the folder {out.parent}: {exc.strerror or exc}") from None
    out = _table_path(out, rename)
    rows = face_table(db, person_ids)
    if fmt == "json":
        data = json.dumps([{k: r[k] for k in TABLE_COLUMNS} for r in rows], indent=1).encode("utf-8")
    else:
        buf = io.StringIO(newline="")
        w = csv.writer(buf)
        w.writerow(TABLE_COLUMNS)
        w.writerows([csv_cell(r[k]) for k in TABLE_COLUMNS] for r in rows)
        data = buf.getvalue().encode("utf-8")
    try:
        write_file(out, data)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    report(progress, STAGE, len(rows), len(rows), out.name)  # one file, written at once: stop has nothing to end
    return ExportResult(written=len(rows), people=len({r["person_id"] for r in rows}), out=str(out))


def sidecar_path(photo: str, out_dir: str | Path | None = None, roots: list[str] = ()) -> Path:
    """The sidecar export_xmp uses for photo (naming rules in xmp_sidecar); roots: the library's
    photo folders (storage.roots.library_folders), which out_dir mirrors."""
    return SidecarNamer(out_dir, (), roots).path(photo)


def _photo_boxes(db: Database) -> dict[str, tuple[int, int, dict[int, tuple]]]:
    """photo -> (width, height, face id -> pixel box on the upright photo), for every face in the library."""
    out: dict[str, tuple[int, int, dict[int, tuple]]] = {}
    for path, w, h, fid, x, y, fw, fh in views.photo_face_boxes(db):
        if w and h:
            out.setdefault(path, (w, h, {}))[2][fid] = (x, y, fw, fh)
    return out


def _holds_ours(dst: Path) -> bool:
    """A sidecar is there that may hold something faceapp wrote: faceapp's own, or one with regions
    (marked ones, or ones whose mark a tag copy dropped). Sidecars without regions (a raw file's
    develop settings) are not opened further, nor are their photos."""
    try:
        data = read_sidecar(dst)
    except (OSError, XmpError):
        return False
    return data is not None and any(m in data for m in (XMP_MARK.encode(), MARK_NS.encode(), b"RegionList"))


def export_xmp(db: Database, overwrite: bool = False, person_ids: list[int] | None = None,
               out_dir: str | Path | None = None, include_unnamed: bool = False, progress: ProgressFn | None = None,
               stop: StopFn | None = None) -> ExportResult:
    """include_unnamed: unnamed people ("Person N") get regions too (by default only named people,
    since other tools show a region's name as a real person). person_ids choose the photos visited;
    a sidecar that is there already keeps the regions of every exportable face of its photo.
    A sidecar that holds regions faceapp merged earlier is brought up to date even where none of its
    photo's faces is exported now (a face since marked "not a face", say). Regions are written on the
    image as stored (MWG), so each photo's EXIF orientation is read from its file; a photo that can't
    be read, or whose size changed since the scan, gets no sidecar (an error says why)."""
    if out_dir is not None:
        _out_folder(out_dir, "XMP sidecars")
    every = face_table(db)  # one read: this run's faces are the chosen people's among them
    chosen = None if person_ids is None else set(person_ids)
    rows = [r for r in every if chosen is None or r["person_id"] in chosen]
    res = ExportResult(out=str(out_dir or "beside photos"))
    by_photo: dict[str, list[dict]] = {}
    for r in rows:
        by_photo.setdefault(r["photo"], []).append(r)
    library: dict[str, dict[int, dict]] = {}
    for r in every:
        library.setdefault(r["photo"], {})[r["face_id"]] = r
    boxes = _photo_boxes(db)
    namer = SidecarNamer(out_dir, photo_paths(db), library_folders(db))
    visit = sorted(set(by_photo) | set(boxes))
    steps = _Steps(len(visit), progress, stop, res)
    for photo in visit:
        if steps.stopped():
            break
        steps.step()  # counted as it starts: the loop below leaves early in many ways
        faces = by_photo.get(photo, [])
        if photo not in boxes:
            res.errors.append(f"{photo}: size unknown")
            continue
        w, h, pixels = boxes[photo]
        dst = namer.path(photo)
        if not faces and not _holds_ours(dst):
            continue  # nothing to export here and no sidecar with regions of faceapp's to bring up to date
        o = photo_orientation(photo, (w, h))
        if isinstance(o, str):
            res.errors.append(f"{photo}: {o}; its sidecar is left as it is")
            continue
        areas = faceapp_areas(pixels, w, h, o)
        try:
            kind, changed = write_sidecar(dst, w, h, faces, overwrite and bool(faces), include_unnamed,
                                          library.get(photo), areas, o)
        except XmpError as exc:
            if faces:
                res.skipped += 1
                res.errors.append(f"{dst}: {exc}; left untouched")
            continue
        except OSError as exc:
            if exc.errno in _NO_ROOM:
                raise ExportError(f"{dst}: {exc.strerror}; stopped (run the export again to go on)") from None
            res.errors.append(f"{dst}: {exc.strerror or exc}")
            continue
        if kind == "none" or not faces and not changed:
            continue  # nothing written, or a sidecar of a photo not exported with nothing of ours: not counted
        res.merged += kind == "merged"
        res.written += kind == "written"
        res.unchanged += not changed
    res.people = len({r["person_id"] for r in rows})
    return res
