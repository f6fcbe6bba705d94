"""Where things live: bundled resources, and the user's data directory (overridable).

The bundled resources (models with their licences, calibration, the sample album, icons) live once,
in the repository's top-level `resources/`. A wheel carries them as package data at
`faceapp/resources/` (pyproject maps the one onto the other); they are found through
importlib.resources there, and beside the package in a source checkout or an editable install.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from platformdirs import user_data_dir

ROOT = Path(__file__).resolve().parent.parent  # the source checkout (meaningful only when running from one)


def _resources() -> Path:
    packaged = files("faceapp") / "resources"
    if packaged.is_dir():
        # faceapp is installed from a wheel as plain files: the Traversable is a real directory, and
        # the model paths are stored in libraries and handed to onnxruntime/OpenCV as file names
        return Path(str(packaged))
    return ROOT / "resources"


RESOURCES = _resources()
MODELS = RESOURCES / "models"
SAMPLE_ALBUM = RESOURCES / "sample_album"
ICONS = RESOURCES / "icons"
APP_ICON = ICONS / "faceapp.svg"
YUNET = MODELS / "face_detection_yunet_2023mar_int8bq.onnx"  # as shipped; OpenCV runs it
YUNET_ORT = MODELS / "face_detection_yunet_2023mar_fp32.onnx"  # dequantized; onnxruntime runs it (default)
SFACE = MODELS / "sface_2021dec_fp32.onnx"
SFACE_CALIBRATION = MODELS / "sface_2021dec_calibration.json"


def data_dir() -> Path:
    """FACEAPP_HOME overrides the platform's per-user data directory."""
    d = Path(os.environ.get("FACEAPP_HOME") or user_data_dir("faceapp", appauthor=False))
    d.mkdir(parents=True, exist_ok=True)
    return d


def default_db() -> Path:
    return data_dir() / "library.db"
