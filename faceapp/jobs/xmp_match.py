"""Which detected face an imported name belongs to, and whether naming it would override the user.

    match_photo(photo, conflicts, no_face) -> list[Match]     regions ↔ faces of one photo
    decide(db, matches) -> Plan                              matches ↔ the library's decisions

Matching (boxes normalised to the upright photo, MWG centre form): a region fits a face when their
IoU is at least MIN_IOU or the region's centre lies inside the face box (other tools draw heads
bigger or smaller than the detector); pairs are taken best overlap first, one region to one face.
Before that, regions for one spot are one region (the same name in a sidecar and the file, or in
MWG and Microsoft form); two different names for one spot are a conflict, and so is one name on two
faces of one photo (one person is in a photo once).

Deciding: a name is the person carrying it (trimmed, any case, hidden people too) or a new person.
A match is left alone and reported where the user decided otherwise in faceapp: the face is "not a
face", is confirmed or placed as another person, was rejected for this person, or the person has
another decided face in the photo. A face already decided as that person counts as `already`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlite_utils import Database

from faceapp.storage import people as store
from faceapp.xmp.read import NamedRegion
from faceapp.xmp.regions import Box, iou, overlaps

MIN_IOU = 0.4


@dataclass
class PhotoFaces:
    photo_id: int
    path: str
    faces: dict[int, Box]  # every detected face of the photo (not-a-face ones too), centre form
    regions: list[NamedRegion]


@dataclass
class Match:
    photo_id: int
    photo: str
    face: int
    name: str


@dataclass
class Plan:
    confirm: dict[int, int | str] = field(default_factory=dict)  # face -> person id, or the key of a new person
    new: dict[str, str] = field(default_factory=dict)  # key -> name as first written
    already: int = 0
    conflicts: list[dict] = field(default_factory=list)


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _inside(point_of: Box, box: Box) -> bool:
    return abs(point_of[0] - box[0]) <= box[2] / 2 and abs(point_of[1] - box[1]) <= box[3] / 2


def match_photo(ph: PhotoFaces, conflicts: list[dict], no_face: list[dict]) -> list[Match]:
    kept: list[NamedRegion] = []
    torn: set[int] = set()
    for r in ph.regions:
        for i, q in enumerate(kept):
            same = name_key(r.name) == name_key(q.name)
            if iou(r.box, q.box) >= 0.5 or (same and (overlaps(r.box, q.box) or overlaps(q.box, r.box))):
                if not same and i not in torn:
                    torn.add(i)
                    conflicts.append({"photo": ph.path, "name": f"{q.name} / {r.name}", "face": None,
                                      "reason": "the photo's regions give one face two names"})
                break
        else:
            kept.append(r)
    pairs = sorted(((iou(r.box, fb), -abs(r.box[0] - fb[0]) - abs(r.box[1] - fb[1]), i, fid)
                    for i, r in enumerate(kept) if i not in torn for fid, fb in ph.faces.items()
                    if iou(r.box, fb) >= MIN_IOU or _inside(r.box, fb)), reverse=True)
    face_of: dict[int, int] = {}
    for _, _, i, fid in pairs:
        if i not in face_of and fid not in face_of.values():
            face_of[i] = fid
    for i, r in enumerate(kept):
        if i not in torn and i not in face_of:
            no_face.append({"photo": ph.path, "name": r.name, "box": [round(v, 4) for v in r.box]})
    keys = [name_key(kept[i].name) for i in face_of]
    out = []
    for i, fid in sorted(face_of.items()):
        if keys.count(name_key(kept[i].name)) > 1:
            conflicts.append({"photo": ph.path, "name": kept[i].name, "face": fid,
                              "reason": "the name is on two faces of this photo"})
        else:
            out.append(Match(ph.photo_id, ph.path, fid, kept[i].name))
    return out


def decide(db: Database, matches: list[Match]) -> Plan:
    """What the matches do to the library as it is now (call inside the write transaction)."""
    plan = Plan()
    people = store.list_persons(db, include_hidden=True)
    label = {p.id: p.label for p in people}
    by_key: dict[str, list[int]] = {}
    for p in people:
        if p.name:
            by_key.setdefault(name_key(p.name), []).append(p.id)
    current = store.assignments(db)
    rejected = store.rejections(db)
    not_faces = store.not_faces(db)
    photo_of = store.face_photos(db, [f for f, (_, src, _) in current.items() if src in store.DECIDED])
    decided_at = {(current[f][0], ph): f for f, ph in photo_of.items()}
    still = store.face_photos(db, [m.face for m in matches])  # a rescan may have dropped a face since the read

    for m in sorted(matches, key=lambda m: (m.photo, m.face)):
        key = name_key(m.name)
        ids = by_key.get(key, [])
        pid = ids[0] if len(ids) == 1 else None
        cur = current.get(m.face)
        reason = None
        if m.face not in still:
            reason = "the face is gone from the library since the XMP was read (rescanned?)"
        elif m.face in not_faces:
            reason = "marked not a face in faceapp"
        elif len(ids) > 1:
            reason = f"{len(ids)} people are named {m.name!r} in faceapp"
        elif cur and cur[1] in store.DECIDED and cur[0] == pid:
            plan.already += 1
            continue
        elif cur and cur[1] in store.DECIDED:
            reason = f"decided as {label.get(cur[0], cur[0])} in faceapp"
        elif pid is not None and pid in rejected.get(m.face, ()):
            reason = f"you said this face is not {label[pid]}"
        elif pid is not None and decided_at.get((pid, m.photo_id), m.face) != m.face:
            reason = f"{label[pid]} already has face {decided_at[(pid, m.photo_id)]} in this photo"
        if reason:
            plan.conflicts.append({"photo": m.photo, "name": m.name, "face": m.face, "reason": reason})
            continue
        if pid is None:
            plan.new.setdefault(key, " ".join(m.name.split()))
        plan.confirm[m.face] = pid if pid is not None else key
    return plan
