"""Verification over faceapp.jobs.verify: two library faces (instant) or two photos (inference)."""

from __future__ import annotations

from sqlite_utils import Database

from faceapp.gui.services.types import Verdict
from faceapp.jobs import verify as V
from faceapp.progress import ProgressFn, StopFn
from faceapp.types import Device, Face, FarKey


def thresholds(db: Database) -> dict[str, float]:
    """The active model's calibrated cosine thresholds by false-accept rate, e.g. {"1e-3": 0.36};
    empty for an uncalibrated model."""
    try:
        return V.model_thresholds(db)
    except V.VerifyError:
        return {}


def all_faces(db: Database) -> list[Face]:
    """Every face in the library (for the pickers), without people."""
    from faceapp.storage.faces import face_rows

    return [Face(r["id"], r["photo_id"], r["path"]) for r in face_rows(db)]


def _verify(db: Database, a: int | str, b: int | str, far: FarKey | None, device: Device) -> Verdict:
    th = thresholds(db)
    if not th:
        raise V.VerifyError("this model has no calibrated thresholds; run `faceapp calibrate`")
    far = far if far in th else ("1e-3" if "1e-3" in th else sorted(th)[0])
    v = V.verify(db, a, b, far=far, device=device)
    return Verdict(v.similarity, v.same, v.threshold, float(v.far), v.far_at_similarity,
                   getattr(v, "far_bound", "about"))


def verify_faces(db: Database, face_a: int, face_b: int, far: FarKey | None = None) -> Verdict:
    return _verify(db, int(face_a), int(face_b), far, "cpu")


def verify_photos(db: Database, a: str | int, b: str | int, far: FarKey | None = None, device: Device = "auto",
                  progress: ProgressFn | None = None, stop: StopFn | None = None) -> Verdict:
    """Inference: call from a worker. Each side is a photo file (its largest face) or a face id."""
    return _verify(db, a, b, far, device)
