"""Switch a library to another embedding model: register it, embed the stored crops, activate it;
and repair what a switch left behind (`embed_missing`).

Crops are kept in the library, so this never re-decodes a photo. Decisions live in their own
tables and are untouched; re-clustering afterwards is the people module's job.

A switch completes for every face or not at all: the model becomes active in the same write
transaction that embeds the faces a scan added meanwhile. A scan that started before the switch
still writes its faces with the model it started with; `embed_missing` (run when a scan ends and
before every clustering) embeds those, and any face whose vector is malformed, from their crops.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from sqlite_utils import Database

from faceapp.core.embed import Embedder
from faceapp.jobs.models import embedder_for, ensure_active_model, refuse_uncalibrated, register_model_file
from faceapp.progress import Progress, ProgressFn, StopFn, report
from faceapp.storage import faces as face_store
from faceapp.storage import models as model_store
from faceapp.storage.backup import backup_library
from faceapp.storage.tx import transaction
from faceapp.types import Device

log = logging.getLogger(__name__)
STAGE = "embedding"  # the Progress stage: done/total faces embedded from their stored crops


class EmbedReport(NamedTuple):
    embedded: int  # faces given an embedding now
    unreadable: int  # faces whose stored crop does not decode: left without one (reported, never a crash)


def _embed(db: Database, row: dict, embedder: Embedder | Callable[[], Embedder], chunk: int = 256,
           progress: ProgressFn | None = None, stop: StopFn | None = None,
           ) -> EmbedReport:
    """Embed every face with no (or a malformed) embedding under `row` from its stored crop. The
    embedder may be a factory: the model is loaded only when a face needs it."""
    todo = face_store.faces_missing_embedding(db, row["id"], row_dim(row))
    done = bad = 0
    for i in range(0, len(todo), chunk):
        if stop is not None and stop():
            break
        if not hasattr(embedder, "embed"):
            embedder = embedder()
        ids, crops, unreadable = face_store.readable_crops(db, todo[i : i + chunk])
        if ids:
            face_store.store_embeddings(db, row["id"], ids, embedder.embed(crops))
        done += len(ids)
        bad += len(unreadable)
        report(progress, STAGE, done + bad, len(todo))
    if bad:
        log.warning("%d face(s) have a stored crop that does not decode; they stay without an embedding", bad)
    return EmbedReport(done, bad)


def row_dim(row: dict) -> int | None:
    size = (row.get("metadata") or {}).get("embedding_size")
    return int(size) if size else None


def reembed(
    db: Database,
    model_row: int,
    device: Device = "auto",
    chunk: int = 256,
    progress: ProgressFn | None = None,
    stop: StopFn | None = None,
) -> int:
    """Embed every face lacking an embedding under model_row; returns how many were embedded."""
    row = model_store.model_row(db, model_row)
    return _embed(db, row, lambda: embedder_for(row, device=device), chunk, progress, stop).embedded


def embed_missing(db: Database, device: Device = "auto", chunk: int = 256,
                  progress: ProgressFn | None = None, stop: StopFn | None = None,
                  embedder: Embedder | None = None) -> EmbedReport:
    """Embed, from their stored crops, the faces the active model has no (or a malformed) embedding
    for. Cheap when nothing is missing (the model is loaded only when needed)."""
    row = ensure_active_model(db)
    return _embed(db, row, embedder or (lambda: embedder_for(row, device=device)), chunk, progress, stop)


def switch_model(
    db: Database, path: str | Path, device: Device = "auto", progress: ProgressFn | None = None,
    stop: StopFn | None = None,
) -> int | None:
    """Register the model file (a copy kept beside the library), embed all crops with it, then make
    it active (see `activate`). Returns its row id, or None when stopped first (the old model stays
    active)."""
    rid = register_model_file(db, path, activate=False)
    return rid if activate(db, rid, device, progress, stop) else None


def activate(db: Database, model_row: int, device: Device = "auto", progress: ProgressFn | None = None,
             stop: StopFn | None = None, catch_up: int = 3) -> bool:
    """Embed every stored crop with a registered model, then make it active; False when stopped
    first (the old model stays active). Faces a running scan adds meanwhile are caught up in a few
    passes; the last ones are embedded in the write transaction that flips `active`, so no face is
    left without an embedding for the active model (faces whose crop does not decode excepted:
    they are reported)."""
    row = model_store.model_row(db, model_row)
    refuse_uncalibrated(row)  # before anything is embedded or backed up
    embedder = embedder_for(row, device=device)
    backup_library(db, reason="before-model-switch")  # the library as it was under the old model
    before = 0  # faces of earlier passes: a catch-up pass goes on counting where the last one ended

    def counted(p: Progress) -> None:
        if progress is not None:
            progress(Progress(p.stage, before + p.done, before + p.total, p.text))

    for _ in range(catch_up):
        rep = _embed(db, row, embedder, progress=counted, stop=stop)
        if stop is not None and stop():
            return False
        before += rep.embedded + rep.unreadable
        if len(face_store.faces_missing_embedding(db, model_row, row_dim(row))) <= rep.unreadable:
            break
    with transaction(db):  # BEGIN IMMEDIATE: no scan writes a face between the last embedding and the flip
        _embed(db, row, embedder)
        model_store.set_active(db, model_row)
    return True
