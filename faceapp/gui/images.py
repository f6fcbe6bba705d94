"""Pixels across threads: numpy RGB → QImage (safe off the GUI thread, unlike QPixmap)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from faceapp.core.images import load


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep copy, so the QImage outlives the numpy buffer."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def load_photo_qimage(path: str, max_side: int = 1600) -> tuple[QImage, float]:
    """(upright photo, its pixels per original pixel); call from a worker, never the GUI thread."""
    img = load(path, max_side=max_side)
    return rgb_to_qimage(img.rgb), img.scale


def load_thumbnail(path: str, side: int = 256) -> QImage:
    img, _ = load_photo_qimage(path, max_side=side)
    return img.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
