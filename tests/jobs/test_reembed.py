"""Switching models re-embeds the stored crops (no photo decoded) and only then activates the model."""


import numpy as np
from stand_in_model import stand_in  # tests/ is on sys.path: it holds conftest.py

from faceapp.jobs.reembed import switch_model
from faceapp.storage.backup import copy_library
from faceapp.storage.db import open_library
from faceapp.storage.faces import embeddings, faces_missing_embedding
from faceapp.storage.models import active_model


def _renamed_model(tmp_path, model_id: str):
    return stand_in(tmp_path / f"{model_id}.onnx", model_id)


def test_switch_model_embeds_every_stored_crop(tmp_path, scanned_sample):
    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    db = open_library(lib)
    old = active_model(db)
    photos_dir = tmp_path / "gone"
    # the photos are not needed any more: crops live in the library
    db.execute("UPDATE photos SET path = ? || '/' || id", [str(photos_dir)])
    new_path = _renamed_model(tmp_path, "sface-copy")

    stopped = switch_model(db, new_path, device="cpu", stop=lambda: True)
    assert stopped is None and active_model(db)["id"] == old["id"]  # half-done: the old model stays

    seen = []
    rid = switch_model(db, new_path, device="cpu", progress=seen.append)
    assert rid is not None and active_model(db)["model_id"] == "sface-copy"
    done = [p.done for p in seen]  # faces embedded from their crops, never back, all the way
    assert {p.stage for p in seen} == {"embedding"} and done == sorted(done) and done[-1] == seen[-1].total > 0
    assert faces_missing_embedding(db, rid) == []
    ids_old, e_old = embeddings(db, old["id"])
    ids_new, e_new = embeddings(db, rid)
    np.testing.assert_array_equal(ids_old, ids_new)
    # same weights, crops stored losslessly: the same vectors as at scan time
    assert np.abs((e_old * e_new).sum(1) - 1).max() < 1e-5
