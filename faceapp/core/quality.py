"""A cheap face-quality measure: sharpness of the aligned crop, size and detector confidence.

Used to pick representative faces and to rank training data; 0 (useless) … 1 (good).
"""

from __future__ import annotations

import cv2
import numpy as np


def sharpness(crop_rgb: np.ndarray) -> float:
    grey = cv2.cvtColor(crop_rgb, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def face_quality(crop_rgb: np.ndarray, face_size: float, score: float) -> float:
    sharp = min(1.0, sharpness(crop_rgb) / 300.0)
    size = min(1.0, max(0.0, (face_size - 20.0) / 80.0))
    return float(np.clip(0.4 * sharp + 0.3 * size + 0.3 * score, 0.0, 1.0))
