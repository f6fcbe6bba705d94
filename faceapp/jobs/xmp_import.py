"""Import the face names other photo tools wrote (XMP sidecars and packets embedded in JPEG / PNG).

    import_xmp(db, dry_run=False) -> ImportResult

Each photo's XMP is read (xmp_read): its sidecar, named as export names them (`photo.jpg.xmp`,
else `photo.xmp`; a `photo.xmp` shared by two photos of one stem is ambiguous and skipped), and the
packet inside the file. faceapp's own sidecars (XMP_MARK) and regions are left out. Each named Face
region is matched to one detected face of the photo (xmp_match), and each match becomes a user
decision: the face is confirmed as the person carrying that name (trimmed, any case), else as a new
person of that name. What the user decided in faceapp is never overridden: such matches are reported
as conflicts and left alone. The whole import is one step in the history (`undo` reverts all of it).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlite_utils import Database

from faceapp.jobs import people
from faceapp.jobs.xmp_match import Match, PhotoFaces, decide, match_photo
from faceapp.storage import people as store
from faceapp.storage.backup import backup_library
from faceapp.storage.faces import face_boxes
from faceapp.storage.photos import done_photos
from faceapp.storage.tx import transaction
from faceapp.xmp.document import XMP_MARK, faceapp_areas, mwg_area, photo_orientation
from faceapp.xmp.rdf import XmpError, read_sidecar
from faceapp.xmp.read import Found, embedded_packet, read_regions
from faceapp.xmp.sidecar import SidecarNamer


@dataclass
class ImportResult:
    dry_run: bool = False
    photos: int = 0  # library photos looked at
    photos_read: int = 0  # of them, with XMP read (sidecar, embedded packet or both)
    sidecars: int = 0
    embedded: int = 0
    regions: int = 0  # named Face regions found (other tools')
    own_sidecars: int = 0  # sidecars faceapp wrote, left out
    own_regions: int = 0  # regions faceapp merged into other tools' XMP, left out
    matched: int = 0
    new_people: list[str] = field(default_factory=list)
    confirmed: int = 0  # faces confirmed by this import (dry run: that would be)
    already: int = 0  # matched faces already confirmed as that person
    conflicts: list[dict] = field(default_factory=list)  # photo, name, face, reason: left alone
    no_face: list[dict] = field(default_factory=list)  # photo, name, box: no detected face there
    unreadable: list[dict] = field(default_factory=list)  # path, reason
    skipped: list[dict] = field(default_factory=list)  # photo or path, reason: regions not used
    history_id: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"{'dry run: ' if self.dry_run else ''}{self.photos_read} of {self.photos} photos had XMP "
               f"({self.sidecars} sidecars, {self.embedded} embedded); {self.regions} named face regions "
               f"(left out as faceapp's own: {self.own_sidecars} sidecars, {self.own_regions} regions)",
               f"{self.matched} matched a face: {self.confirmed} confirmed{' (would be)' if self.dry_run else ''}, "
               f"{self.already} already, {len(self.conflicts)} conflicts skipped; {len(self.new_people)} new people"
               + (f" ({', '.join(self.new_people[:10])}{', ...' if len(self.new_people) > 10 else ''})"
                  if self.new_people else ""),
               f"{len(self.no_face)} regions without a detected face; {len(self.unreadable)} unreadable; "
               f"{len(self.skipped)} regions or sidecars skipped"]
        out += [f"  conflict: {c['photo']}: {c['name']}: {c['reason']}" for c in self.conflicts]
        out += [f"  no face: {c['photo']}: {c['name']}" for c in self.no_face]
        out += [f"  unreadable: {c['path']}: {c['reason']}" for c in self.unreadable]
        out += [f"  skipped: {c['path']}: {c['reason']}" for c in self.skipped]
        return out


class _Sidecars(SidecarNamer):
    """The sidecar a photo's names come from: export's choice when it exists; None when there is
    none or only a `stem.xmp` shared by photos of one stem (then `ambiguous` is set)."""

    def find(self, photo: str) -> tuple[Path | None, bool]:
        p = self.path(photo)
        if p.is_file():
            return p, False
        q = Path(photo)
        short = q.stem + ".xmp"
        return None, p.name != short and short.casefold() in self._names(q.parent)


def _photo_xmp(path: str, sidecars: _Sidecars, pixels: dict, upright: tuple[int, int], res: ImportResult) -> Found:
    """Every named region of one photo from its sidecar, then its embedded packet. pixels: face id ->
    (x, y, w, h) on the upright photo, to know the areas faceapp itself writes there."""
    found = Found()
    side, ambiguous = sidecars.find(path)
    if ambiguous:
        res.skipped.append({"path": path, "reason": "its stem.xmp sidecar is shared by photos of one stem"})
    packets: list[tuple[str, bytes]] = []
    try:
        data = read_sidecar(side) if side else None
        if data is not None and XMP_MARK.encode() in data:
            res.own_sidecars += 1  # faceapp wrote it whole: nothing in it is another tool's
        elif data is not None:
            packets.append((str(side), data))
    except (OSError, XmpError) as exc:
        res.unreadable.append({"path": str(side), "reason": getattr(exc, "strerror", None) or f"sidecar {exc}"})
    try:
        data = embedded_packet(path)
        if data is not None:
            packets.append((path, data))
    except (OSError, XmpError) as exc:
        res.unreadable.append({"path": path, "reason": getattr(exc, "strerror", None) or str(exc)})
    res.photos_read += bool(packets)
    orientation: int | str | None = None
    for src, data in packets:
        if b"Region" in data and orientation is None:  # the file's header is read only where regions are
            orientation = photo_orientation(path, upright)
            if isinstance(orientation, str):
                res.skipped.append({"path": path, "reason": orientation})
        if isinstance(orientation, str):
            break
        try:
            own = faceapp_areas(pixels, *upright, orientation or 1)  # at most two packets a photo
            got = read_regions(data, upright, orientation or 1, own)
        except XmpError as exc:
            res.unreadable.append({"path": src, "reason": f"{'sidecar' if src != path else 'embedded XMP'} {exc}"})
            continue
        res.sidecars += src != path
        res.embedded += src == path
        res.own_regions += got.own
        res.skipped += [{"path": src, "reason": r} for r in got.skipped]
        found.regions += got.regions
    return found


def _library(db: Database) -> tuple[list[tuple], dict[int, list[tuple]]]:
    photos = done_photos(db)
    faces: dict[int, list[tuple]] = {}
    for row in face_boxes(db):
        faces.setdefault(row[0], []).append(row[1:])
    return photos, faces


def read_library(db: Database, res: ImportResult) -> list[PhotoFaces]:
    """Every photo's named regions beside its detected faces (file reads only, no decisions)."""
    photos, faces = _library(db)
    sidecars = _Sidecars(library=(p[1] for p in photos))
    out = []
    for pid, path, w, h in photos:
        res.photos += 1
        if not w or not h or not os.path.exists(path):
            continue
        boxes = {fid: mwg_area(x, y, fw, fh, w, h) for fid, x, y, fw, fh in faces.get(pid, [])}
        pixels = {fid: (x, y, fw, fh) for fid, x, y, fw, fh in faces.get(pid, [])}
        found = _photo_xmp(path, sidecars, pixels, (w, h), res)
        if found.regions:
            res.regions += len(found.regions)
            out.append(PhotoFaces(pid, path, boxes, found.regions))
    return out


def _write(db: Database, matches: list[Match], res: ImportResult) -> None:
    """Decide against the library as it is now and, unless a dry run, write it all as one history step."""
    plan = decide(db, matches)
    res.conflicts += plan.conflicts
    res.already = plan.already
    res.confirmed = len(plan.confirm)
    res.new_people = sorted(plan.new.values(), key=str.casefold)
    if res.dry_run or not plan.confirm:
        return
    new_ids = {key: store.create_person(db, name) for key, name in plan.new.items()}
    target = {f: new_ids[p] if isinstance(p, str) else p for f, p in plan.confirm.items()}
    res.history_id = people.confirm_as(db, target, "import_xmp", {
        "faces": sorted(target), "new_people": sorted(new_ids.values()), "confirmed": len(target)},
        new_people=new_ids.values())


def import_xmp(db: Database, dry_run: bool = False) -> ImportResult:
    """Read every photo's XMP names and confirm the faces they point at (dry_run: report only).
    Files are read first; the decisions are then planned and written under the write lock, so a
    decision the user makes meanwhile is seen and never overridden."""
    t0 = time.perf_counter()
    res = ImportResult(dry_run=dry_run)
    matches: list[Match] = []
    for ph in read_library(db, res):
        before = len(res.conflicts)
        found = match_photo(ph, res.conflicts, res.no_face)
        matches += found  # matched: these, and names on two faces of one photo (conflicts with a face)
        res.matched += len(found) + sum(c["face"] is not None for c in res.conflicts[before:])
    if dry_run:
        _write(db, matches, res)
    else:
        if matches:
            backup_library(db, reason="before-xmp-import")
        with transaction(db):
            _write(db, matches, res)
    res.seconds = round(time.perf_counter() - t0, 3)
    return res
