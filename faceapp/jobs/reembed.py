"""Switch a library to another embedding model: register it, embed the stored crops, activate it.

Crops are kept in the library, so this never re-decodes a photo. Decisions live in their own
tables and are untouched; re-clustering afterwards is the people module's job.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database

from faceapp.jobs.models import embedder_for, register_model_file
from faceapp.storage import faces as face_store
from faceapp.storage import models as model_store


def reembed(
    db: Database,
    model_row: int,
    device: str = "auto",
    chunk: int = 256,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int:
    """Embed every face lacking an embedding under model_row; returns how many were embedded."""
    row = next(m for m in model_store.list_models(db) if m["id"] == model_row)
    embedder = embedder_for(row, device=device)
    todo = face_store.faces_missing_embedding(db, model_row)
    done = 0
    for i in range(0, len(todo), chunk):
        if should_stop and should_stop():
            break
        ids = todo[i : i + chunk]
        face_store.store_embeddings(db, model_row, ids, embedder.embed(face_store.face_crops(db, ids)))
        done += len(ids)
        if progress:
            progress(done, len(todo))
    return done


def switch_model(
    db: Database, path: str | Path, device: str = "auto", progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> int | None:
    """Register the model file, embed all crops with it, then make it active. Returns its row id,
    or None when stopped before every face was embedded (the old model stays active)."""
    rid = register_model_file(db, path, activate=False)
    reembed(db, rid, device=device, progress=progress, should_stop=should_stop)
    if face_store.faces_missing_embedding(db, rid):
        return None
    model_store.set_active(db, rid)
    return rid
