"""Photos by people: the photos where some people are together (and others are not), newest first,
and a timeline by month with who is in each month. The CLI prints these; the GUI's Photos and
timeline views read the same functions.

    photos_together(db, with_ids, without=(), limit=None, offset=0) -> list[Photo]   with_ids empty: every photo
    timeline(db, with_ids=(), without=()) -> list[Month]       newest month first, undated last
    album_name(db, with_ids, without=()) -> str                "Ann & Ben", "Ann & Ben without Cy"

People shown in a photo or a month: everyone visible in it, plus hidden people that were asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlite_utils import Database

from faceapp.jobs.people import PeopleError
from faceapp.storage import photos_query as store
from faceapp.storage.people import clean_name
from faceapp.types import person_label


@dataclass
class Photo:
    id: int
    path: str
    date: str | None  # ISO-8601 local time: the EXIF date, else the file's
    dated_by: str  # "exif" | "file" | "none"
    people: list[tuple[int, str]] = field(default_factory=list)  # (person id, label), by label
    faces: list[tuple[int, int]] = field(default_factory=list)  # (face id, person id): one face each, as people

    def as_dict(self) -> dict:
        return {"photo_id": self.id, "path": self.path, "date": self.date, "dated_by": self.dated_by,
                "people": [{"id": i, "name": n} for i, n in self.people]}


@dataclass
class Month:
    month: str | None  # "YYYY-MM"; None: photos with no date at all
    photos: int
    people: list[tuple[int, str, int]] = field(default_factory=list)  # (person id, label, photos), most first

    def as_dict(self) -> dict:
        return {"month": self.month, "photos": self.photos,
                "people": [{"id": i, "name": n, "photos": c} for i, n, c in self.people]}


class _Labels:
    """Each person's label, sort key and visibility, worked out once (a query may list 100k photos)."""

    def __init__(self, db: Database, asked: Sequence[int]) -> None:
        self.rows = store.person_labels(db)
        asked = set(asked)
        self._label: dict[int, str] = {}
        self._key: dict[int, tuple] = {}
        self.visible = {pid for pid, (_, hidden) in self.rows.items() if not hidden or pid in asked}
        for pid, (name, _) in self.rows.items():
            named = clean_name(name)
            self._label[pid] = person_label(pid, named)
            self._key[pid] = (named is None, (named or "").casefold(), pid)

    def label(self, pid: int) -> str:
        return self._label[pid]

    def shown(self, pid: int) -> bool:
        return pid in self.visible

    def key(self, pid: int) -> tuple:
        return self._key[pid]


def _check(db: Database, with_ids: Sequence[int], without: Sequence[int]) -> _Labels:
    labels = _Labels(db, [*with_ids, *without])
    for pid in [*with_ids, *without]:
        if pid not in labels.rows:
            raise PeopleError(f"no person {pid}")
    both = set(with_ids) & set(without)
    if both:
        raise PeopleError(f"{', '.join(labels.label(p) for p in sorted(both))}: asked both with and without")
    return labels


def photos_together(db: Database, with_ids: Sequence[int], without: Sequence[int] = (), limit: int | None = None,
                    offset: int = 0) -> list[Photo]:
    """limit/offset: one page of the list (a view that loads as it scrolls)."""
    with_ids, without = sorted(set(with_ids)), sorted(set(without))
    labels = _check(db, with_ids, without)
    out = []
    for h in store.photos_with(db, with_ids, without, limit, offset):
        shown = sorted((p for p in h.person_ids if labels.shown(p)), key=labels.key)
        face_of = {}
        for fid, pid in h.faces:
            face_of.setdefault(pid, fid)
        out.append(Photo(h.id, h.path, h.date, h.dated_by, [(p, labels.label(p)) for p in shown],
                         [(face_of[p], p) for p in shown]))
    return out


def timeline(db: Database, with_ids: Sequence[int] = (), without: Sequence[int] = ()) -> list[Month]:
    with_ids, without = sorted(set(with_ids)), sorted(set(without))
    labels = _check(db, with_ids, without)
    counts, people = store.months_with(db, with_ids, without)
    months = {m: Month(m, n) for m, n in counts}
    for m, pid, n in people:
        if labels.shown(pid):
            months[m].people.append((pid, labels.label(pid), n))
    for month in months.values():
        month.people.sort(key=lambda t: (-t[2], *labels.key(t[0])))
    return list(months.values())


def album_name(db: Database, with_ids: Sequence[int], without: Sequence[int] = ()) -> str:
    """The folder name of an album of these people together: "Ann & Ben", "Ann & Ben without Cy"."""
    labels = _check(db, with_ids, without)

    def names(ids: Sequence[int]) -> str:
        return " & ".join(labels.label(p) for p in sorted(set(ids), key=labels.key))

    return (names(with_ids) or "Everyone") + (f" without {names(without)}" if without else "")
