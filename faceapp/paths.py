"""Where things live: bundled resources, and the user's data directory (overridable)."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
MODELS = RESOURCES / "models"
SAMPLE_ALBUM = RESOURCES / "sample_album"
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
