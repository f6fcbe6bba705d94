"""A face the user drew a box around: its five landmarks, its aligned crop (no storage, no model).

The detector runs again on the region around the box, enlarged and resized so the face has a size
the detector finds well, with a low score threshold: a face too small, too turned or too dark for the
scan's settings is often found this way, with real landmarks. The detection that best overlaps the
box wins. When none overlaps it, the landmarks are estimated from the box (BOX_LANDMARKS).

Boxes are in upright photo pixels (EXIF orientation applied), the scan's coordinates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from faceapp.core.align import CROP_SIZE, align_face
from faceapp.core.detect import Detection, Detector, DetectorSettings
from faceapp.core.images import decode, orientation_of
from faceapp.core.quality import face_quality

# Where a detector's five landmarks sit in its box, as fractions of the box (x, y): the mean over
# the YuNet detections of the sample album (60 faces), made left-right symmetric.
BOX_LANDMARKS = np.array(
    [[0.2744, 0.3614], [0.7256, 0.3614], [0.5000, 0.5593], [0.3072, 0.7207], [0.6928, 0.7207]], dtype=np.float64
)
REGION_GROW = 2.0  # the detector looks at the box enlarged this much (around its centre)
REGION_SIDE = 320  # ... resized to this long side, so a face of any size is ~150 px for the detector
LOW_THRESHOLD = 0.3  # the detector's score threshold inside the region
MIN_IOU = 0.3  # a detection overlapping the box less than this is another face
MIN_BOX = 8  # pixels: a smaller box holds no face worth keeping


class BoxError(ValueError):
    """The box is not a usable face box on this photo (outside it, or too small)."""


@dataclass
class ManualFace:
    box: np.ndarray  # x, y, w, h in upright photo pixels (the box as given, clipped to the photo)
    landmarks: np.ndarray  # 5×2, upright photo pixels
    score: float  # the detector's score; 0.0 when the landmarks were estimated from the box
    found: bool  # the detector found the face inside the box (else: landmarks from the box)
    crop: np.ndarray  # 112×112×3 RGB uint8
    quality: float
    width: int  # the photo's upright size
    height: int


def box_landmarks(box: np.ndarray) -> np.ndarray:
    x, y, w, h = (float(v) for v in box)
    return BOX_LANDMARKS * [w, h] + [x, y]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    union = aw * ah + bw * bh - iw * ih
    return iw * ih / union if union > 0 else 0.0


def check_box(box: tuple[float, float, float, float], width: int, height: int) -> np.ndarray:
    """The box clipped to the photo; BoxError when it lies outside the photo or is too small."""
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        raise BoxError(f"a box needs a positive width and height, not {w:g}×{h:g}")
    x0, y0, x1, y1 = max(0.0, x), max(0.0, y), min(float(width), x + w), min(float(height), y + h)
    if x1 - x0 < MIN_BOX or y1 - y0 < MIN_BOX:
        raise BoxError(f"the box ({x:g}, {y:g}, {w:g}×{h:g}) is outside the photo ({width}×{height}) "
                       f"or smaller than {MIN_BOX} pixels there")
    return np.array([x0, y0, x1 - x0, y1 - y0])


def detect_in_box(rgb: np.ndarray, box: np.ndarray, detector: Detector) -> Detection | None:
    """The detection in the enlarged region around `box` (pixels of `rgb`) overlapping it best."""
    H, W = rgb.shape[:2]
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    half = REGION_GROW * max(box[2], box[3]) / 2
    x0, y0 = int(max(0, math.floor(cx - half))), int(max(0, math.floor(cy - half)))
    x1, y1 = int(min(W, math.ceil(cx + half))), int(min(H, math.ceil(cy + half)))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    region = rgb[y0:y1, x0:x1]
    s = REGION_SIDE / max(region.shape[:2])
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    region = cv2.resize(region, (max(1, round(region.shape[1] * s)), max(1, round(region.shape[0] * s))),
                        interpolation=interp)
    best, best_iou = None, MIN_IOU
    for d in detector.detect(region):
        d = Detection(d.box / s + [x0, y0, 0, 0], d.landmarks / s + [x0, y0], d.score)
        iou = _iou(d.box, box)
        if iou >= best_iou:
            best, best_iou = d, iou
    return best


def region_detector(make: Callable[[DetectorSettings], Detector]) -> Detector:
    """A detector for the region: its long side and a low threshold (make: settings -> detector)."""
    return make(DetectorSettings(long_side=REGION_SIDE, score_threshold=LOW_THRESHOLD, min_face=0))


def locate_face(path: str, box: tuple[float, float, float, float], detector: Detector) -> ManualFace:
    """Decode the photo upright (as the scan does), find the face in `box`, align it.

    The photo is decoded at the smallest scale where the box keeps 2×CROP_SIZE pixels (in full
    for a small face), so a 12 MP photo is not decoded whole for a big face. Raises BoxError for a
    box outside the photo, ImageError for a photo that can't be decoded."""
    _, (width, height) = orientation_of(path)
    clipped = check_box(box, width, height)
    need = min(1.0, 2 * CROP_SIZE / max(1.0, min(clipped[2], clipped[3])))
    img = decode(path, least_side=max(1, math.ceil(need * max(width, height))))
    width, height = img.width, img.height  # the decoded upright size is the one the scan stores
    clipped = check_box(box, width, height)
    det = detect_in_box(img.rgb, clipped * img.scale, detector)
    if det is not None:
        landmarks, score = det.landmarks / img.scale, det.score
    else:
        landmarks, score = box_landmarks(clipped), 0.0
    crop = align_face(img.rgb, landmarks * img.scale)
    size = float(min(clipped[2], clipped[3]))
    return ManualFace(clipped, landmarks, float(score), det is not None, crop, face_quality(crop, size, score),
                      width, height)
