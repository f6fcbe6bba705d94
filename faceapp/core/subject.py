"""Choose the subject face of a photo: the largest, or the one nearest the centre."""

from __future__ import annotations

import numpy as np

from faceapp.core.detect import Detection


def pick_subject(dets: list[Detection], width: float, height: float, how: str = "largest") -> int | None:
    if not dets:
        return None
    if how == "largest":
        return int(np.argmax([d.box[2] * d.box[3] for d in dets]))
    if how == "center":
        c = np.array([width / 2, height / 2])
        return int(np.argmin([np.linalg.norm(d.box[:2] + d.box[2:4] / 2 - c) for d in dets]))
    raise ValueError(f"unknown subject rule {how!r} (largest or center)")
