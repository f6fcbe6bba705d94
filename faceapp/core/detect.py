"""Face detection with five landmarks: YuNet through OpenCV (default) or a local SCRFD ONNX file.

Detectors take an RGB uint8 image and return detections in that image's pixel coordinates; the
scan maps them back to the original photo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np


@dataclass
class Detection:
    box: np.ndarray  # x, y, w, h
    landmarks: np.ndarray  # 5×2: left eye, right eye, nose, left mouth, right mouth
    score: float

    def scaled(self, factor: float) -> Detection:
        return Detection(self.box * factor, self.landmarks * factor, self.score)

    @property
    def size(self) -> float:
        return float(min(self.box[2], self.box[3]))


# The detector's long side: below this it finds nothing, above it photos are decoded far bigger.
DET_SIZE_RANGE = (32, 4096)


@dataclass
class DetectorSettings:
    long_side: int = 640  # detection runs on a copy downscaled to this long side
    score_threshold: float = 0.7
    nms_threshold: float = 0.3
    min_face: int = 20  # pixels of the original photo, shorter box side
    model_path: str | None = None  # None: bundled YuNet; a .onnx SCRFD file otherwise
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Refuse values that would make a scan mark every photo done with no faces (or blow up)."""
        lo, hi = DET_SIZE_RANGE
        if not isinstance(self.long_side, int) or not lo <= self.long_side <= hi:
            raise ValueError(f"detector size must be a whole number from {lo} to {hi} pixels, not {self.long_side!r}")
        for name in ("score_threshold", "nms_threshold"):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not 0.0 < v < 1.0:
                raise ValueError(f"{name.replace('_', ' ')} must be between 0 and 1 (both excluded), not {v!r}")
        if not isinstance(self.min_face, int | float) or not 0 <= self.min_face < 100_000:
            raise ValueError(f"smallest face must be 0 pixels or more, not {self.min_face!r}")


class Detector(Protocol):
    def detect(self, rgb: np.ndarray) -> list[Detection]: ...


def _downscale(rgb: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    s = min(1.0, long_side / max(h, w))
    if s < 1.0:
        rgb = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    return rgb, s


class YuNetDetector:
    """OpenCV's FaceDetectorYN on a downscaled copy; one instance per thread."""

    def __init__(self, model_path: str | Path, settings: DetectorSettings) -> None:
        self.settings = settings
        self._net = cv2.FaceDetectorYN.create(
            str(model_path), "", (320, 320), settings.score_threshold, settings.nms_threshold, 5000
        )

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        small, s = _downscale(rgb, self.settings.long_side)
        bgr = np.ascontiguousarray(small[:, :, ::-1])
        h, w = bgr.shape[:2]
        self._net.setInputSize((w, h))
        _, faces = self._net.detect(bgr)
        out: list[Detection] = []
        if faces is None:
            return out
        for f in faces:
            det = Detection(f[0:4].astype(np.float64), f[4:14].reshape(5, 2).astype(np.float64), float(f[14]))
            out.append(det.scaled(1.0 / s))
        out.sort(key=lambda d: -d.score)
        return out


def create_detector(settings: DetectorSettings, default_model: str | Path) -> Detector:
    """YuNet unless the settings point at a local SCRFD/RetinaFace-style ONNX file.

    YuNet runs through onnxruntime when the dequantized fp32 file sits beside the int8 one (the
    bundled models do); `settings.extra["backend"] = "opencv"` asks for OpenCV's FaceDetectorYN."""
    path = Path(settings.model_path or default_model)
    if not path.name.startswith("face_detection_yunet"):
        from faceapp.core.scrfd import SCRFDDetector

        return SCRFDDetector(path, settings)
    fp32 = path if path.name.endswith("_fp32.onnx") else path.with_name(path.name.replace("_int8bq", "_fp32"))
    if settings.extra.get("backend", "onnxruntime") != "opencv" and fp32.is_file():
        from faceapp.core.yunet_ort import YuNetOnnx

        return YuNetOnnx(fp32, settings)
    return YuNetDetector(path, settings)
