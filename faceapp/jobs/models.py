"""The active embedding model of a library, registered on first use (the bundled SFace).

A model registered from a file outside the app (a trained model) is copied beside the library,
`<library dir>/models/<sha256 prefix>.onnx`, and the row points at the copy: moving or deleting the
training folder breaks nothing. When the active model's file is missing or changed anyway, the
library falls back to the bundled model with a warning, and scans and clustering go on (faces are
re-embedded from their crops as needed, see faceapp.jobs.reembed.embed_missing).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import asdict
from pathlib import Path

from sqlite_utils import Database

from faceapp import paths
from faceapp.core.embed import Embedder
from faceapp.core.modelmeta import ModelInfo, read_model_info
from faceapp.errors import FaceappError
from faceapp.storage import models as model_store
from faceapp.types import Device

log = logging.getLogger(__name__)
_sha_seen: dict[tuple[str, int, int], str] = {}  # (path, size, mtime) -> sha256: a model is hashed once


def shipped_calibration(model_id: str) -> dict:
    """The calibration shipped beside a bundled model (thresholds, FAR curve, what it was measured on)."""
    if model_id == "sface-2021dec" and paths.SFACE_CALIBRATION.exists():
        return json.loads(paths.SFACE_CALIBRATION.read_text())
    return {}


def load_calibration(info: ModelInfo) -> dict:
    """Thresholds from the model file, else the shipped calibration of the base model."""
    return info.thresholds or shipped_calibration(info.model_id).get("thresholds", {})


def _sha256(path: Path) -> str:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _sha_seen:
        _sha_seen[key] = model_store.file_sha256(path)
    return _sha_seen[key]


def _bundled(path: Path) -> bool:
    return path.resolve().parent == paths.MODELS.resolve()


def kept_copy(db: Database, sha: str) -> Path | None:
    """Where the library keeps its copy of the model with this sha256 (None: an in-memory library)."""
    lib = model_store.library_file(db)
    return lib.parent / "models" / f"{sha[:16]}.onnx" if lib is not None else None


def keep_model_file(db: Database, path: str | Path, sha: str) -> Path:
    """Copy a model file into the library's data directory (bundled models stay where they are);
    returns the path to store. Copies go through a temporary name, so a half-written copy is never
    taken for the model."""
    src = Path(path)
    dest = kept_copy(db, sha)
    if dest is None or _bundled(src) or src.resolve() == dest.resolve():
        return src
    if dest.exists() and _sha256(dest) == sha:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.part")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dest)
    return dest


def register_model_file(db: Database, path: str | Path, activate: bool = False, extra: dict | None = None) -> int:
    """Register (or refresh) the model in this file; `extra` is kept with the row's metadata (an
    imported pack's name and licence, see faceapp.jobs.insightface_pack)."""
    info = read_model_info(path)
    meta = asdict(info)
    meta.pop("raw", None)
    meta["thresholds"] = load_calibration(info)
    if info.raw.get("far_curve"):  # a trained model's FAR curve (trainer.pipeline.shift_calibration)
        meta["far_curve"] = json.loads(info.raw["far_curve"])
    meta.update(extra or {})
    sha = _sha256(Path(path))
    kept = keep_model_file(db, path, sha)
    return model_store.register_model(db, info.model_id, kept, meta, activate=activate, sha=sha)


class Uncalibrated(FaceappError, ValueError):
    """A model without measured thresholds was asked to become active (a refusal, nothing written)."""


def refuse_uncalibrated(row: dict) -> None:
    """A model without measured thresholds is never made active: clustering and verify need them,
    faceapp never guesses one, and the library would be left unable to group people."""
    meta = row.get("metadata") or {}
    if meta.get("thresholds"):
        return
    again = ", or add the pack again with an album folder" if meta.get("insightface_pack") else ""
    raise Uncalibrated(
        f"{row['model_id']} has not been measured yet, so faceapp cannot group people with it; the library "
        f"keeps its current model. Measure it first on labeled photos (a folder per person): "
        f"faceapp calibrate DIR --model {row['path']} --db LIBRARY{again}")


def model_row_for_file(db: Database, path: str | Path) -> int:
    """The library's row for the model in this file (same model_id), registered first if it has none;
    an existing row is not refreshed, so what was stored with it (a calibration) stays."""
    info = read_model_info(path)
    row = model_store.row_for_model_id(db, info.model_id)
    if row is not None:
        return row
    return register_model_file(db, path, activate=model_store.active_model(db) is None)


def ensure_active_model(db: Database) -> dict:
    """The active model row, its file checked; the bundled SFace is registered and activated when
    there is none, or when the active model's file is missing or changed (with a warning)."""
    row = model_store.active_model(db)
    if row is None:
        register_model_file(db, paths.SFACE, activate=True)
        row = model_store.active_model(db)
    elif not _file_ok(row["path"], row["sha256"]):
        row = _fall_back(db, row)
    assert row is not None
    return row


def _file_ok(path: str | Path, sha: str | None) -> bool:
    p = Path(path)
    try:
        return p.is_file() and (not sha or _sha256(p) == sha)
    except OSError:
        return False


def _fall_back(db: Database, row: dict) -> dict:
    """The active model's file is not there as registered: use the library's own copy when it has
    one, else the bundled model (a model trained from this library can be trained again)."""
    copy = kept_copy(db, row["sha256"] or "") if row["sha256"] else None
    if copy is not None and _file_ok(copy, row["sha256"]):
        model_store.set_path(db, row["id"], copy)
        return model_store.active_model(db) or row
    why = "is missing" if not Path(row["path"]).exists() else "has changed since it was registered"
    base = read_model_info(paths.SFACE).model_id if _file_ok(paths.SFACE, None) else None
    if row["model_id"] == base:  # the bundled model itself (faceapp was moved or updated): point at it again
        log.info("the bundled model %s %s (%s); using %s", base, why, row["path"], paths.SFACE)
        register_model_file(db, paths.SFACE, activate=True)
        return model_store.active_model(db) or row
    if base is None:
        raise FileNotFoundError(f"the model file of {row['model_id']} {why} ({row['path']}), "
                                f"and the bundled model is missing too ({paths.SFACE}): reinstall faceapp")
    log.warning("the model file of %s %s (%s); using the bundled model %s instead (faces are re-embedded "
                "from their stored crops as needed)", row["model_id"], why, row["path"], paths.SFACE.name)
    register_model_file(db, paths.SFACE, activate=True)
    new = model_store.active_model(db)
    assert new is not None
    return new


def embedder_for(row: dict, device: Device = "auto", batch_size: int | None = None, flip_tta: bool = False, threads: int = 0) -> Embedder:
    path = Path(row["path"])
    if not path.exists():
        raise FileNotFoundError(f"model file of {row['model_id']} is gone: {path}")
    return Embedder(path, device=device, batch_size=batch_size, flip_tta=flip_tta, threads=threads)
