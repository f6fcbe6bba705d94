"""The active embedding model of a library, registered on first use (the bundled SFace)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from sqlite_utils import Database

from faceapp import paths
from faceapp.core.embed import Embedder
from faceapp.core.modelmeta import ModelInfo, read_model_info
from faceapp.storage import models as model_store


def shipped_calibration(model_id: str) -> dict:
    """The calibration shipped beside a bundled model (thresholds, FAR curve, what it was measured on)."""
    if model_id == "sface-2021dec" and paths.SFACE_CALIBRATION.exists():
        return json.loads(paths.SFACE_CALIBRATION.read_text())
    return {}


def load_calibration(info: ModelInfo) -> dict:
    """Thresholds from the model file, else the shipped calibration of the base model."""
    return info.thresholds or shipped_calibration(info.model_id).get("thresholds", {})


def register_model_file(db: Database, path: str | Path, activate: bool = False) -> int:
    info = read_model_info(path)
    meta = asdict(info)
    meta.pop("raw", None)
    meta["thresholds"] = load_calibration(info)
    return model_store.register_model(db, info.model_id, path, meta, activate=activate)


def model_row_for_file(db: Database, path: str | Path) -> int:
    """The library's row for the model in this file (same model_id), registered first if it has none;
    an existing row is not refreshed, so what was stored with it (a calibration) stays."""
    info = read_model_info(path)
    row = db.execute("SELECT id FROM models WHERE model_id = ?", [info.model_id]).fetchone()
    if row:
        return int(row[0])
    return register_model_file(db, path, activate=model_store.active_model(db) is None)


def ensure_active_model(db: Database) -> dict:
    """The active model row; the bundled SFace is registered and activated when there is none."""
    row = model_store.active_model(db)
    if row is None:
        register_model_file(db, paths.SFACE, activate=True)
        row = model_store.active_model(db)
    assert row is not None
    return row


def embedder_for(row: dict, device: str = "auto", batch_size: int | None = None, flip_tta: bool = False, threads: int = 0) -> Embedder:
    path = Path(row["path"])
    if not path.exists():
        raise FileNotFoundError(f"model file of {row['model_id']} is gone: {path}")
    return Embedder(path, device=device, batch_size=batch_size, flip_tta=flip_tta, threads=threads)
