"""One photo's worth of work before embedding: decode → detect → align (no storage, no model)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from faceapp.core.align import align_face
from faceapp.core.detect import Detection, Detector, DetectorSettings
from faceapp.core.images import decode
from faceapp.core.quality import face_quality

# Photos are decoded with a long side of at least this, so faces keep detail for the 112×112 crop.
DECODE_LONG_SIDE = 2048


@dataclass
class FoundFace:
    detection: Detection  # in original photo pixels
    crop: np.ndarray  # 112×112×3 RGB uint8
    quality: float


@dataclass
class PhotoAnalysis:
    width: int
    height: int
    taken_at: str | None
    faces: list[FoundFace] = field(default_factory=list)


def analyze(data: bytes | str, detector: Detector, settings: DetectorSettings) -> PhotoAnalysis:
    """Decode a photo (bytes or a path) and find, align and grade every face; raises ImageError for bad photos."""
    img = decode(data, max_side=max(DECODE_LONG_SIDE, settings.long_side))
    result = PhotoAnalysis(img.width, img.height, img.taken_at)
    for det in detector.detect(img.rgb):
        if det.size / img.scale < settings.min_face:
            continue
        crop = align_face(img.rgb, det.landmarks)
        result.faces.append(FoundFace(det.scaled(1.0 / img.scale), crop, face_quality(crop, det.size, det.score)))
    return result
