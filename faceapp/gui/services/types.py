"""What only the GUI gets back from the services: plain dataclasses, no Qt, no database rows. The
app's shared ones (Face, Person, ReviewItem) live in faceapp.types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ViewerFace:
    """A face box in the photo viewer, with what its menu needs."""

    face_id: int
    box: tuple[float, float, float, float]  # x, y, w, h in photo pixels
    label: str  # "Anna, 4" (the age on the photo's date when the birth date is known), "unsorted"
    person_id: int | None
    decided: bool  # the user put it there (confirmed, moved): "Confirm" has nothing to add
    drawn: bool  # the user drew this face (it can be deleted; undo brings it back)


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
