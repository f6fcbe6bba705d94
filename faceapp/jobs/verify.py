"""Verification: are two faces (image files or library face ids) the same person?

The decision uses the active model's calibrated cosine threshold at a chosen false-accept rate
(FAR 1e-2, 1e-3 or 1e-4, measured on labeled pairs by `faceapp calibrate`); the reply also says
which rate the similarity itself stands for, read off the calibration's FAR curve.

    verify(db, a, b, far="1e-3", device="auto") -> Verification   (a, b: int face id or image path)
    model_thresholds(db) -> {"1e-2": cos, "1e-3": cos, "1e-4": cos}
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sqlite_utils import Database

from faceapp.errors import FaceappError
from faceapp.jobs.models import shipped_calibration
from faceapp.storage.faces import face_vector
from faceapp.types import Device, FarKey


class VerifyError(FaceappError, ValueError):
    """No face in an image, an unknown face id, or an uncalibrated model."""


@dataclass
class Verification:
    similarity: float
    same: bool
    threshold: float
    far: FarKey  # the false-accept rate the threshold was calibrated at
    far_at_similarity: float | None  # estimated FAR if this similarity were the threshold
    far_bound: str  # "about", or "at most"/"at least" where the similarity is beyond the calibrated curve
    decisions: dict[str, bool]  # same/not same at every calibrated FAR
    model_id: str

    def as_dict(self) -> dict:
        return asdict(self)


def model_thresholds(db: Database) -> dict[str, float]:
    """Thresholds stored with the active model, else the shipped calibration of the base model."""
    from faceapp.jobs.models import ensure_active_model

    m = ensure_active_model(db)
    th = (m.get("metadata") or {}).get("thresholds") or shipped_calibration(m["model_id"]).get("thresholds") or {}
    if not th:
        raise VerifyError(f"model {m['model_id']} has no calibrated thresholds; run `faceapp calibrate`")
    return {k: float(v) for k, v in th.items()}


def far_at(similarity: float, curve: list[list[float]]) -> float | None:
    """Interpolated (log-scale) FAR at a similarity from [[far, threshold], ...] points."""
    if not curve:
        return None
    pts = sorted((float(t), float(f)) for f, t in curve)
    ts = np.array([p[0] for p in pts])
    fs = np.log10([max(p[1], 1e-12) for p in pts])
    if similarity <= ts[0]:
        return float(10 ** fs[0])
    if similarity >= ts[-1]:
        return float(10 ** fs[-1])
    return float(10 ** np.interp(similarity, ts, fs))


def _face_vector(db: Database, face_id: int, model_row: int) -> np.ndarray:
    v = face_vector(db, face_id, model_row)
    if v is None:
        raise VerifyError(f"no face {face_id} with an embedding of the active model")
    return v


def _image_vector(path: str, model: dict, device: Device) -> np.ndarray:
    from faceapp.jobs.embed_files import embed_files
    from faceapp.jobs.models import embedder_for

    if not Path(path).is_file():
        raise VerifyError(f"no such image: {path}")
    emb, found = embed_files([path], embedder_for(model, device=device))
    if not found[0]:
        raise VerifyError(f"no face found in {path}")
    return emb[0]


def _is_face_id(a: int | str) -> bool:
    return isinstance(a, (int, np.integer)) or (isinstance(a, str) and a.isdigit() and not Path(a).exists())


def verify(db: Database, a: int | str, b: int | str, far: FarKey = "1e-3", device: Device = "auto") -> Verification:
    from faceapp.jobs.models import ensure_active_model

    model = ensure_active_model(db)
    th = model_thresholds(db)
    if far not in th:
        raise VerifyError(f"no threshold at FAR {far}; calibrated: {', '.join(sorted(th))}")
    vecs = [_face_vector(db, int(x), model["id"]) if _is_face_id(x) else _image_vector(str(x), model, device) for x in (a, b)]
    sim = float(np.dot(vecs[0], vecs[1]))
    curve = (model.get("metadata") or {}).get("far_curve") or shipped_calibration(model["model_id"]).get("far_curve", [])
    ts = [float(t) for _, t in curve]
    bound = "about" if not ts or min(ts) < sim < max(ts) else ("at most" if sim >= max(ts) else "at least")
    return Verification(
        similarity=sim, same=sim > th[far], threshold=th[far], far=far, far_at_similarity=far_at(sim, curve),
        far_bound=bound,
        decisions={k: sim > v for k, v in sorted(th.items())}, model_id=model["model_id"],
    )
