"""Embedding models known to a library, and which one is active."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlite_utils import Database

from faceapp.storage.db import now
from faceapp.storage.tx import transaction


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def register_model(db: Database, model_id: str, path: str | Path, metadata: dict, activate: bool = False) -> int:
    """Add (or refresh) a model row; returns its row id."""
    sha = file_sha256(path)
    with transaction(db):
        row = db.execute("SELECT id FROM models WHERE model_id = ?", [model_id]).fetchone()
        if row:
            db.execute(
                "UPDATE models SET path = ?, sha256 = ?, metadata = ? WHERE id = ?",
                [str(path), sha, json.dumps(metadata), row[0]],
            )
            rid = row[0]
        else:
            rid = db.execute(
                "INSERT INTO models (model_id, path, sha256, metadata, active, created_at) VALUES (?, ?, ?, ?, 0, ?)",
                [model_id, str(path), sha, json.dumps(metadata), now()],
            ).lastrowid
        if activate:
            set_active(db, rid)
    return int(rid)


def store_calibration(db: Database, model_row: int, calibration: dict) -> None:
    """Keep a calibration (thresholds, TAR, FAR curve, what it was measured on) with the model row."""
    keys = ("thresholds", "tar_at_far", "far_curve", "pairs", "calibrated_on", "created")
    with transaction(db):
        row = db.execute("SELECT metadata FROM models WHERE id = ?", [model_row]).fetchone()
        if row is None:
            raise KeyError(f"no model row {model_row}")
        meta = json.loads(row[0])
        meta.update({k: calibration[k] for k in keys if k in calibration})
        db.execute("UPDATE models SET metadata = ? WHERE id = ?", [json.dumps(meta), model_row])


def set_active(db: Database, model_row: int) -> None:
    with transaction(db):
        db.execute("UPDATE models SET active = (id = ?)", [model_row])


def active_model(db: Database) -> dict | None:
    row = db.execute("SELECT id, model_id, path, sha256, metadata FROM models WHERE active = 1").fetchone()
    if not row:
        return None
    return {"id": row[0], "model_id": row[1], "path": row[2], "sha256": row[3], "metadata": json.loads(row[4])}


def list_models(db: Database) -> list[dict]:
    rows = db.execute("SELECT id, model_id, path, active, created_at FROM models ORDER BY id").fetchall()
    return [dict(zip(("id", "model_id", "path", "active", "created_at"), r)) for r in rows]
