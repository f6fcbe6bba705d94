"""Pixels across threads: numpy RGB → QImage (safe off the GUI thread, unlike QPixmap), and the
on-disk cache of photo thumbnails."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from faceapp.core.images import ImageError, load


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


# -- photo thumbnails kept on disk, in the data directory (never in the library file) -------------
THUMB_SIDE = 224  # the long side of a stored thumbnail (a tile shows it at up to this size)


def thumbnail_dir() -> Path:
    """Where photo thumbnails are kept: <data dir>/thumbnails (FACEAPP_HOME moves it)."""
    from faceapp.paths import data_dir

    return data_dir() / "thumbnails" / f"v1-{THUMB_SIDE}"


def thumbnail_key(path: str) -> str | None:
    """The file's name, size and modification time: an edited photo gets a new thumbnail (the old
    one is left to be cleared). None when the file is not there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return hashlib.sha1(f"{os.path.abspath(path)}\0{st.st_size}\0{st.st_mtime_ns}".encode()).hexdigest()


def cached_thumbnail(path: str) -> QImage | None:
    """The photo's thumbnail from the disk cache, made and stored there first when missing; None
    when the file is gone or does not decode. Runs in a worker (decoding is slow)."""
    key = thumbnail_key(path)
    if key is None:
        return None
    file = thumbnail_dir() / key[:2] / f"{key}.jpg"
    if file.is_file():
        img = QImage(str(file))
        if not img.isNull():
            return img
    try:
        img, _ = load_photo_qimage(path, max_side=THUMB_SIDE)
    except ImageError:
        return None
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_name(f".{key}.{os.getpid()}.{threading.get_ident()}.tmp")
    if img.save(str(tmp), "JPG", 85):
        os.replace(tmp, file)  # whole or not at all: a reader never sees half a file
    else:
        tmp.unlink(missing_ok=True)
    return img
