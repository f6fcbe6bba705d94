"""What the views get back from the services: plain dataclasses, no Qt, no database rows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Person:
    id: int
    name: str | None
    label: str  # the name, or "Person N" (as in the CLI and the exports)
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
    source: str  # cluster | auto | user | confirmed | "" (unsorted)
    score: float | None = None


@dataclass
class ReviewItem:
    face_id: int  # the face asked about (for a merge question: a face of the other person)
    person_id: int
    label: str  # the caption under the face
    score: float
    kind: str = "uncertain"  # merge | uncertain | suggest | outlier
    text: str = ""  # the question in words
    raw: object = None  # the review module's own item, handed back to accept/reject


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
    far_at_score: float | None = None  # the rate this score itself would stand for, when known
    far_bound: str = "about"  # or "at most" / "at least" beyond the calibrated range


@dataclass
class TrainReport:
    model_path: str  # the new ONNX file
    report_json: str | None
    roc_png: str | None
    before: dict  # figures of the current model on the held-out faces
    after: dict  # figures of the new model
    kept_base: bool = False  # the trainer found nothing better and returned the base model as it was
    message: str = ""  # what training gave, in one sentence (trainer.outcome): unchanged, or by how much it improved
