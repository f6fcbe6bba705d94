"""One photo's worth of work before embedding: decode → detect → align (no storage, no model).

A photo is decoded only as far as the work needs. Detection runs on the cheapest reduced decode
with at least twice the detector's size (a 12 MP JPEG at 1/2: a quarter of the full decode's time).
Measured on phone-size photos: detecting on the 1/4 decode (1008 px for a 640-px detector) moves the
landmarks enough that 6 % of faces' embeddings fall below cosine 0.99 against the full decode; from
the 1/2 decode none did.
Each face is then aligned from pixels where it keeps at least ALIGN_MIN_FACE pixels: most faces of
a phone photo already do at the detection scale; a photo with faces too small there is decoded once
more, at the smallest scale where its smallest face does (or in full). Formats without a reduced
decode (PNG, WebP, TIFF, HEIC) are decoded whole once and kept at DECODE_LONG_SIDE, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from faceapp.core.align import CROP_SIZE, align_face
from faceapp.core.detect import Detection, Detector, DetectorSettings
from faceapp.core.images import LoadedImage, decode
from faceapp.core.quality import face_quality

# Formats decoded whole (no reduced decode) are kept with a long side of at least this, so faces
# keep detail for the 112×112 crop without a second full decode.
DECODE_LONG_SIDE = 2048
# Detection decodes at least this many times the detector's size (see above).
DETECT_OVERSAMPLE = 2
# A face is aligned from pixels where the shorter side of its box has at least this many.
ALIGN_MIN_FACE = CROP_SIZE


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
    decoded_sides: list[int] = field(default_factory=list)  # long side of each decode made (1 or 2)


def align_long_side(face_sizes: list[float], width: int, height: int, have_scale: float) -> int | None:
    """The long side to decode again at so that the smallest face (original pixels) keeps
    ALIGN_MIN_FACE pixels, capped at the full photo; None when the decode at have_scale (decoded
    pixels per original pixel) already holds every face at that size, or holds the photo in full."""
    if not face_sizes or have_scale >= 1.0:
        return None
    need = min(1.0, ALIGN_MIN_FACE / max(min(face_sizes), 1e-6))
    if need <= have_scale * (1 + 1e-9):
        return None
    return min(max(width, height), math.ceil(need * max(width, height) - 1e-9))


def _source_for(size: float, decodes: list[LoadedImage]) -> LoadedImage:
    """The smallest decode where a face of `size` original pixels keeps ALIGN_MIN_FACE (else the largest)."""
    for img in sorted(decodes, key=lambda d: d.scale):
        if size * img.scale >= ALIGN_MIN_FACE:
            return img
    return max(decodes, key=lambda d: d.scale)


def analyze(data: bytes | str, detector: Detector, settings: DetectorSettings) -> PhotoAnalysis:
    """Decode a photo (bytes or a path) and find, align and grade every face; raises ImageError for bad photos."""
    least = DETECT_OVERSAMPLE * settings.long_side
    img = decode(data, least_side=least, least_side_full=max(DECODE_LONG_SIDE, least))
    result = PhotoAnalysis(img.width, img.height, img.taken_at, decoded_sides=[max(img.rgb.shape[:2])])
    dets = [d.scaled(1.0 / img.scale) for d in detector.detect(img.rgb)]  # to original photo pixels
    dets = [d for d in dets if d.size >= settings.min_face]
    decodes = [img]
    side = align_long_side([d.size for d in dets], img.width, img.height, img.scale)
    if side is not None:
        more = decode(data, least_side=side)
        if (more.width, more.height) == (img.width, img.height) and more.scale > img.scale:
            decodes.append(more)
            result.decoded_sides.append(max(more.rgb.shape[:2]))
    for det in dets:
        src = _source_for(det.size, decodes)
        crop = align_face(src.rgb, det.landmarks * src.scale)
        result.faces.append(FoundFace(det, crop, face_quality(crop, det.size, det.score)))
    return result
