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


def register_model(db: Database, model_id: str, path: str | Path, metadata: dict, activate: bool = False,
                   sha: str | None = None) -> int:
    """Add (or refresh) a model row; returns its row id. `sha` is the file's sha256 when known."""
    sha = sha or file_sha256(path)
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


def row_for_model_id(db: Database, model_id: str) -> int | None:
    """The library's row id for this model id (None when it has none)."""
    row = db.execute("SELECT id FROM models WHERE model_id = ?", [model_id]).fetchone()
    return int(row[0]) if row else None


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


def model_row(db: Database, model_row: int) -> dict:
    row = db.execute("SELECT id, model_id, path, sha256, metadata FROM models WHERE id = ?", [model_row]).fetchone()
    if not row:
        raise KeyError(f"no model row {model_row}")
    return {"id": row[0], "model_id": row[1], "path": row[2], "sha256": row[3], "metadata": json.loads(row[4])}


def set_path(db: Database, model_row: int, path: str | Path) -> None:
    """The model's file is now here (same content: the caller checked its sha256)."""
    with transaction(db):
        db.execute("UPDATE models SET path = ? WHERE id = ?", [str(path), model_row])


def library_file(db: Database) -> Path | None:
    """The library's own file as SQLite names it (None for an in-memory library). Only the name:
    the file itself is SQLite's alone."""
    for _seq, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return Path(file) if file else None
    return None


def list_models(db: Database) -> list[dict]:
    rows = db.execute("SELECT id, model_id, path, active, created_at FROM models ORDER BY id").fetchall()
    return [dict(zip(("id", "model_id", "path", "active", "created_at"), r)) for r in rows]
