"""A model switch completes for every face or not at all, a scan that ran through one is repaired,
the active model's file lives beside the library, and a missing one falls back to the bundled model."""

from __future__ import annotations

import logging
import shutil

import numpy as np
import pytest

from faceapp.jobs import people
from faceapp.jobs.models import ensure_active_model
from faceapp.jobs.reembed import switch_model
from faceapp.storage.backup import backups_of
from faceapp.storage.db import open_library
from faceapp.storage.faces import faces_missing_embedding, insert_face
from faceapp.storage.models import active_model
from faceapp.storage.photos import save_photo
from faceapp.storage.tx import transaction


@pytest.fixture(scope="module")
def model_b(tmp_path_factory):
    """The bundled model under another model id (a 'trained' model), written once per module."""
    from stand_in_model import stand_in  # tests/ is on sys.path under pytest (not in the scan child)

    return stand_in(tmp_path_factory.mktemp("model_b") / "sface-b.onnx", "sface-b")


@pytest.fixture
def trained(tmp_path, model_b):
    """A training run's folder holding the model; the tests move it away."""
    (tmp_path / "trained").mkdir()
    return shutil.copy(model_b, tmp_path / "trained" / "sface-b.onnx")


def _add_faces(db, n: int, start: int = 0, model: int | None = None) -> list[int]:
    """Faces as a scan writes them: a crop, and an embedding under the model the scan started with."""
    model = model or active_model(db)["id"]
    rng = np.random.default_rng(start)
    out = []
    with transaction(db):
        for k in range(start, start + n):
            pid = save_photo(db, f"/photos/p{k:04d}.jpg", 1000, 1.0, f"h{k}", width=640, height=480)
            crop = rng.integers(0, 255, (112, 112, 3), dtype=np.uint8)
            fid = insert_face(db, pid, (10, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, crop)
            v = rng.normal(size=128).astype(np.float32)
            db.execute("INSERT INTO embeddings (face_id, model, vector) VALUES (?,?,?)", [fid, model, (v / np.linalg.norm(v)).tobytes()])
            out.append(fid)
    return out


@pytest.fixture
def lib_path(tmp_path):
    path = tmp_path / "lib" / "library.db"
    db = open_library(path)
    ensure_active_model(db)
    _add_faces(db, 6)
    db.conn.close()
    return path


def test_faces_a_scan_adds_during_a_switch_are_embedded_before_the_flip(lib_path, trained):
    db = open_library(lib_path)
    ensure_active_model(db)
    scan = open_library(lib_path)  # the scan's own connection, writing with the old model
    added, done = [], []

    def progress(p):
        done.append(p.done)
        if not added:
            added.extend(_add_faces(scan, 3, start=100))

    rid = switch_model(db, trained, device="cpu", progress=progress)
    assert added and rid is not None and active_model(db)["id"] == rid
    assert done == sorted(done) and done[-1] >= 3  # the catch-up pass counts on, never back
    assert faces_missing_embedding(db, rid) == []


def test_a_scan_that_ran_through_a_switch_is_repaired_by_the_next_clustering(lib_path, trained):
    db = open_library(lib_path)
    old = ensure_active_model(db)["id"]
    rid = switch_model(open_library(lib_path), trained, device="cpu")
    late = _add_faces(db, 4, start=200, model=old)  # as a scan that started before the switch writes them
    assert set(late) <= set(faces_missing_embedding(db, rid))
    st = people.recluster(db, threshold=0.5)
    assert faces_missing_embedding(db, rid) == []
    assert st.faces == 10


def test_the_active_model_file_lives_beside_the_library(lib_path, trained):
    db = open_library(lib_path)
    rid = switch_model(db, trained, device="cpu")
    row = active_model(db)
    assert row["id"] == rid
    kept = lib_path.parent / "models" / f"{row['sha256'][:16]}.onnx"
    assert row["path"] == str(kept) and kept.is_file()
    shutil.rmtree(trained.parent)  # the training folder moved away
    from faceapp.jobs.scan import Scanner

    Scanner(db)  # loads the active model
    assert ensure_active_model(db)["id"] == rid
    assert sorted(p.name for p in lib_path.parent.iterdir()) == ["backups", "library.db", "library.db-shm",
                                                                 "library.db-wal", "models"]
    kept = backups_of(lib_path)  # the library as it was under the old model, kept before the switch
    assert len(kept) == 1 and "before-model-switch" in kept[0].name


def test_a_scan_that_ran_through_a_switch_repairs_its_faces_itself(lib_path, trained, sample_album):
    from faceapp.jobs.scan import Scanner

    db = open_library(lib_path)
    scanner = Scanner(db)  # started under the bundled model
    rid = switch_model(open_library(lib_path), trained, device="cpu")  # the window switches meanwhile
    stats = scanner.scan([sample_album])
    assert stats.faces > 0 and stats.repaired == stats.faces
    assert faces_missing_embedding(db, rid) == []


@pytest.mark.parametrize("how", ["deleted", "changed"])
def test_a_missing_or_changed_model_file_falls_back_to_the_bundled_model(lib_path, trained, caplog, how):
    db = open_library(lib_path)
    rid = switch_model(db, trained, device="cpu")
    kept = active_model(db)["path"]
    if how == "deleted":
        shutil.rmtree(trained.parent)
        shutil.rmtree(lib_path.parent / "models", ignore_errors=True)  # and the library's copy
    else:
        with open(kept, "r+b") as fh:
            fh.seek(-64, 2)
            fh.write(b"\0" * 64)
    _add_faces(db, 2, start=300)  # a scan in between (its faces carry the bundled model's vectors)
    with caplog.at_level(logging.WARNING):
        from faceapp.jobs.scan import Scanner

        Scanner(db)
    row = active_model(db)
    assert row["id"] != rid and row["model_id"] == "sface-2021dec"
    assert "sface-b" in caplog.text and ("missing" in caplog.text or "changed" in caplog.text)
    st = people.recluster(db, threshold=0.5)  # clustering goes on too
    assert st.faces == 8 and faces_missing_embedding(db, row["id"]) == []


_SCAN_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from test_model_switch import _add_faces
from faceapp.storage.backup import backups_of
from faceapp.storage.db import open_library

db = open_library(sys.argv[1])
model, stop = int(sys.argv[2]), Path(sys.argv[3])
k = 1000
_add_faces(db, 4, start=k, model=model)
k += 4
(stop.parent / "ready").touch()
while not stop.exists() and k < 1200:  # a scan that started under the old model keeps writing with it
    _add_faces(db, 2, start=k, model=model)
    k += 2
    time.sleep(0.05)
_add_faces(db, 2, start=k, model=model)  # and finishes after the switch
print(k + 2 - 1000)
"""


def test_a_switch_beside_a_scan_in_another_process(lib_path, trained, tmp_path):
    import subprocess
    import sys
    import time
    from pathlib import Path

    db = open_library(lib_path)
    old = ensure_active_model(db)["id"]
    stop = tmp_path / "stop"
    script = tmp_path / "scan_child.py"
    script.write_text(_SCAN_CHILD)
    child = subprocess.Popen([sys.executable, str(script), str(lib_path), str(old), str(stop), str(Path(__file__).parent)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while not (tmp_path / "ready").exists() and child.poll() is None:
            time.sleep(0.01)
        rid = switch_model(db, trained, device="cpu")
    finally:
        stop.touch()
        out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err[-2000:]
    assert rid is not None and active_model(db)["id"] == rid
    people.recluster(db, threshold=0.5)
    n = db.execute("SELECT count(*) FROM faces").fetchone()[0]
    assert n == 6 + int(out)
    assert faces_missing_embedding(db, rid) == []
