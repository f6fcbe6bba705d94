"""Calibration: thresholds from impostor pairs, the evidence recorded with them."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from faceapp import paths
from faceapp.bench.cluster_synth import identities
from faceapp.jobs.calibrate import calibrate, embed_dataset, identity_folders, pair_scores


def test_pair_scores_count_every_pair_once():
    x, y = identities(3, 4, dim=16, seed=0)
    gen, imp = pair_scores(x, [str(v) for v in y], block=5)
    assert len(gen) == 3 * 6 and len(imp) == 12 * 11 // 2 - 18
    assert gen.mean() > imp.mean()


def test_calibrate_record():
    x, y = identities(60, 5, dim=32, spread=0.8, seed=1)
    rec = calibrate(x, [f"p{v}" for v in y], {"synthetic": {"faces": len(y)}}, "m")
    th = rec["thresholds"]
    assert th["1e-2"] < th["1e-3"] < th["1e-4"]
    assert rec["pairs"]["genuine"] == 60 * 10 and rec["pairs"]["impostor"] == 300 * 299 // 2 - 600
    assert all(0 <= v <= 1 for v in rec["tar_at_far"].values())
    fars = [f for f, _ in rec["far_curve"]]
    assert fars == sorted(fars, reverse=True)
    json.dumps(rec)


def test_shipped_calibration_is_complete():
    rec = json.loads(paths.SFACE_CALIBRATION.read_text())
    assert set(rec["thresholds"]) == {"1e-2", "1e-3", "1e-4"}
    assert rec["pairs"]["impostor"] >= 1_000_000 and "celeba_dev" not in rec["calibrated_on"]


def test_embed_dataset_takes_aligned_crops_as_they_are(tmp_path):
    from faceapp.core.embed import Embedder

    rng = np.random.default_rng(0)
    for person in ("a", "b"):
        (tmp_path / person).mkdir()
        for k in range(2):
            cv2.imwrite(str(tmp_path / person / f"{k}.png"), rng.integers(0, 255, (112, 112, 3), dtype=np.uint8))
    files, labels = identity_folders(tmp_path)
    assert labels == ["a", "a", "b", "b"] and len(files) == 4
    x, lab = embed_dataset(tmp_path, Embedder(paths.SFACE, device="cpu"))
    assert x.shape == (4, 128) and lab == labels
    assert np.linalg.norm(x, axis=1) == pytest.approx(1.0, abs=1e-4)


def test_calibration_stored_with_the_model_is_what_verify_uses(tmp_path):
    from faceapp.cli import main
    from faceapp.jobs.verify import model_thresholds
    from faceapp.storage.db import open_library

    rng = np.random.default_rng(3)
    for person in range(6):  # aligned crops: each person a base image plus small noise
        (tmp_path / "set" / f"p{person}").mkdir(parents=True)
        base = rng.integers(0, 255, (112, 112, 3)).astype(np.int16)
        for k in range(3):
            img = np.clip(base + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(str(tmp_path / "set" / f"p{person}" / f"{k}.png"), img)
    lib = tmp_path / "lib.db"
    assert main(["calibrate", str(tmp_path / "set"), "--db", str(lib)]) == 0
    db = open_library(lib)
    stored = model_thresholds(db)
    shipped = json.loads(paths.SFACE_CALIBRATION.read_text())["thresholds"]
    assert set(stored) >= {"1e-2"} and stored != shipped
    meta = json.loads(db.execute("SELECT metadata FROM models WHERE model_id = 'sface-2021dec'").fetchone()[0])
    assert meta["calibrated_on"] == {"set": {"faces": 18, "people": 6}} and meta["far_curve"]


def test_calibrate_needs_somewhere_to_put_the_result(tmp_path, capsys):
    from faceapp.cli import main

    assert main(["calibrate", str(tmp_path)]) != 0
    assert "--out" in capsys.readouterr().err
