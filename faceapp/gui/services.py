"""The one adapter between the GUI and the people, verify and export jobs.

Views call these functions (one per user action) and get plain dataclasses back. While a job
module has not landed yet, a small stand-in below keeps the GUI working; only this file changes
when the real function arrives. Stand-ins are marked STANDIN.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlite_utils import Database


def _real(module: str, name: str) -> Callable | None:
    """The real job function when its module provides it, else None (→ the stand-in)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


@dataclass
class Person:
    id: int
    name: str | None
    label: str  # the name, or "Unknown N"
    faces: int
    photos: int
    rep_face: int | None  # the face shown on the person's tile
    hidden: bool = False


@dataclass
class Face:
    id: int
    photo_id: int
    path: str
    person_id: int | None
    source: str  # cluster | confirmed | user | …
    score: float | None = None


@dataclass
class ReviewItem:
    face_id: int
    person_id: int
    label: str
    score: float


@dataclass
class BoxedFace:
    face_id: int
    box: tuple[float, float, float, float]  # x, y, w, h in photo pixels
    label: str


@dataclass
class Verdict:
    score: float
    same: bool
    threshold: float
    far: float | None  # the false-accept rate the threshold stands for


from faceapp.gui import _standin as _s  # noqa: E402  (the stand-ins need the dataclasses above)

Progress = Callable[..., None] | None
Stop = Callable[[], bool] | None


def recluster(db: Database, strictness: float = 0.5, progress: Progress = None, should_stop: Stop = None) -> dict:
    return _s.recluster(db, strictness, should_stop)


def list_people(db: Database, include_hidden: bool = False) -> list[Person]:
    return _s.list_people(db, include_hidden)


def person(db: Database, person_id: int) -> Person | None:
    return next((p for p in list_people(db, True) if p.id == person_id), None)


def person_faces(db: Database, person_id: int) -> list[Face]:
    return _s.person_faces(db, person_id)


def rename(db: Database, person_id: int, name: str) -> None:
    _s.rename(db, person_id, name.strip() or None)


def merge(db: Database, into: int, other: int) -> None:
    _s.merge(db, into, other)


def split(db: Database, face_ids: list[int]) -> int:
    return _s.split(db, face_ids)


def confirm(db: Database, face_ids: list[int], person_id: int) -> None:
    _s.move(db, face_ids, person_id, "confirmed", "confirm")


def move(db: Database, face_ids: list[int], person_id: int) -> None:
    _s.move(db, face_ids, person_id, "user", "move")


def reject(db: Database, face_ids: list[int], person_id: int) -> None:
    _s.reject(db, face_ids, person_id)


def not_a_face(db: Database, face_ids: list[int]) -> None:
    _s.not_a_face(db, face_ids)


def set_hidden(db: Database, person_id: int, hidden: bool) -> None:
    _s.set_hidden(db, person_id, hidden)


def undo(db: Database) -> str | None:
    return _s.undo(db)


def merge_suggestions(db: Database, person_id: int, limit: int = 5) -> list[tuple[Person, float]]:
    return _s.merge_suggestions(db, person_id, limit)


def review_queue(db: Database, limit: int = 200) -> list[ReviewItem]:
    return _s.review_queue(db, limit)


def accept_all(db: Database, items: list[ReviewItem]) -> None:
    for it in items:
        confirm(db, [it.face_id], it.person_id)


def reject_all(db: Database, items: list[ReviewItem]) -> None:
    for it in items:
        reject(db, [it.face_id], it.person_id)


def photo_faces(db: Database, photo_id: int) -> list[BoxedFace]:
    return _s.photo_faces(db, photo_id)


def verify_faces(db: Database, face_a: int, face_b: int) -> Verdict:
    return _s.verify_faces(db, face_a, face_b)


def export(db: Database, out_dir: str, what: str, person_ids: list[int] | None = None, mode: str = "copy",
           progress: Progress = None, should_stop: Stop = None) -> dict:
    """what: albums | csv | json | xmp."""
    return _s.export(db, out_dir, what, person_ids, mode)
