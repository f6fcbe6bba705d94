"""`faceapp train --db`: named people of a real (sample) library → fine-tune → export → the library
switches to the new model and every stored crop is re-embedded with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceapp.cli import main
from faceapp.storage.backup import copy_library


def _name_people(db) -> int:  # noqa: ANN001
    """Confirm the largest face of each photo as the person its file is named after (4+ photos)."""
    rows = db.execute(
        "SELECT f.id, p.path, f.w * f.h AS area FROM faces f JOIN photos p ON p.id = f.photo_id ORDER BY area DESC"
    ).fetchall()
    best: dict[str, int] = {}
    for fid, path, _ in rows:
        best.setdefault(path, fid)
    by_name: dict[str, list[int]] = {}
    for path, fid in best.items():
        by_name.setdefault(Path(path).stem.rsplit("_", 1)[0], []).append(fid)
    people = {n: f for n, f in by_name.items() if len(f) >= 4}
    for pid, (name, fids) in enumerate(sorted(people.items()), 1):
        db.execute("INSERT INTO persons (id, name) VALUES (?, ?)", [pid, name])
        for fid in fids:
            db.execute("INSERT INTO face_assignments (face_id, person_id, source) VALUES (?, ?, 'confirmed')", [fid, pid])
    db.conn.commit()
    return len(people)


def _sample_library(scanned_sample, tmp_path) -> Path:
    from faceapp.storage.db import open_library

    path = tmp_path / "lib.db"
    copy_library(scanned_sample, path)
    db = open_library(path)
    assert _name_people(db) >= 3
    db.conn.close()
    return path


def _train(path: Path, out: Path) -> int:
    return main(["train", "--db", str(path), "--loss", "cosface", "--epochs", "1", "--device", "cpu",
                 "--trainable-units", "1", "--out", str(out)])


def test_train_from_library_activates_an_improved_model(scanned_sample, tmp_path, capsys, monkeypatch) -> None:
    """When the trained model is better on the held-out faces, the library switches to it."""
    from faceapp.storage import faces as face_store
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library
    from trainer import outcome as outcome_mod

    monkeypatch.setattr(outcome_mod, "outcome", lambda report: outcome_mod.Outcome(True, "improved by +3.0 points", 3.0))
    path = _sample_library(scanned_sample, tmp_path)
    rc = _train(path, tmp_path / "run")
    out = capsys.readouterr().out
    assert rc == 0, out
    assert (tmp_path / "run" / "report.png").exists() and (tmp_path / "run" / "report.json").exists()
    assert not (tmp_path / "run" / "checkpoint.pt").exists()  # a finished run leaves no ~300 MB resume point
    db = open_library(path)
    active = model_store.active_model(db)
    assert active["model_id"].startswith("sface-ft-cosface-")
    assert not face_store.faces_missing_embedding(db, active["id"])
    assert "improved by +3.0 points" in out and "library now uses" in out


def test_train_with_nothing_to_gain_leaves_the_model_unchanged(glint_aligned, scanned_sample, tmp_path, capsys) -> None:
    """Six people, each one photo seen twenty times (a pixel of noise apart): the base model already
    tells every pair apart at every FAR, so no fine-tune can be better. `faceapp train` says so, offers
    no model, and the library it was asked to register into keeps its model and gains no row."""
    import cv2
    import numpy as np

    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library
    from trainer.data.faceset import person_folders

    rng = np.random.default_rng(0)
    aligned = tmp_path / "aligned"
    for name, files in person_folders(glint_aligned)[:6]:
        (aligned / name).mkdir(parents=True)
        img = cv2.imread(str(files[0]))
        for k in range(20):
            noisy = np.clip(img.astype(int) + rng.integers(-1, 2, img.shape), 0, 255).astype(np.uint8)
            cv2.imwrite(str(aligned / name / f"{k}.png"), noisy)
    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    before = model_store.active_model(open_library(lib))["model_id"]
    rc = main(["train", "--aligned", str(aligned), "--db", str(lib), "--loss", "cosface", "--epochs", "2",
               "--device", "cpu", "--trainable-units", "1", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "no improvement found; your model is unchanged" in out
    assert "library now uses" not in out and not any(line.startswith("model: ") for line in out.splitlines())
    db = open_library(lib)
    assert model_store.active_model(db)["model_id"] == before
    assert [m["model_id"] for m in model_store.list_models(db)] == [before]  # nothing registered to switch to


def test_train_refuses_bad_params(tmp_path) -> None:
    pytest.importorskip("torch")
    (tmp_path / "a").mkdir()
    assert main(["train", "--aligned", str(tmp_path), "--param", "nonsense"]) == 2


def test_faceapp_does_not_import_torch_until_training() -> None:
    import subprocess
    import sys

    code = ("import sys; from faceapp.cli import build_parser; build_parser(); "
            "import faceapp.bench.losses_bench, faceapp.cli.train_cmds; "
            "print('torch' in sys.modules, 'trainer' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_train_on_albums_registers_the_model_in_a_library(scanned_sample, tmp_path, capsys, monkeypatch) -> None:
    """`faceapp train --albums DIR --db LIB`: the album-trained model goes into the library."""
    import shutil

    from faceapp import paths
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library
    from trainer import outcome as outcome_mod

    monkeypatch.setattr(outcome_mod, "outcome", lambda report: outcome_mod.Outcome(True, "improved by +3.0 points", 3.0))
    albums = tmp_path / "albums"
    for photo in sorted(paths.SAMPLE_ALBUM.glob("*.jpg")):
        person = photo.stem.rsplit("_", 1)[0]
        if len(list(paths.SAMPLE_ALBUM.glob(f"{person}_*.jpg"))) >= 4:
            (albums / person).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(photo, albums / person / photo.name)
    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    rc = main(["train", "--albums", str(albums), "--db", str(lib), "--no-activate", "--loss", "cosface", "--epochs", "1",
               "--device", "cpu", "--trainable-units", "1", "--out", str(tmp_path / "run")])
    out, err = capsys.readouterr()
    assert rc == 0, out + err
    db = open_library(lib)
    ids = [m["model_id"] for m in model_store.list_models(db)]
    assert len(ids) == 2 and ids[1].startswith("sface-ft-cosface-")
    assert model_store.active_model(db)["model_id"] == "sface-2021dec"  # --no-activate: registered only
    assert "faceapp models use" in out


def test_train_on_named_but_unconfirmed_people_says_what_to_do(scanned_sample, tmp_path, capsys) -> None:
    """Naming people confirms none of their faces, and `train --db` learns from confirmed faces only:
    it refused with "need at least two people with three or more faces each" while the library had
    eight named people with four or more faces each. It now says how many confirmed faces it found
    and the two ways on (confirm faces, or --all-assigned)."""
    from faceapp.jobs.recluster import recluster
    from faceapp.storage import people as store
    from faceapp.storage.db import open_library

    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    db = open_library(lib)
    recluster(db)
    ids = [p.id for p in store.list_persons(db)][:3]
    db.conn.close()
    for k, pid in enumerate(ids):  # as a user names people: `faceapp name`, nothing confirmed
        assert main(["name", "--db", str(lib), str(pid), f"Person {k}"]) == 0
    rc = _train(lib, tmp_path / "out")
    err = capsys.readouterr().err
    assert rc == 2 and "need at least two people" in err
    assert "found 0 confirmed faces:" in err and "--all-assigned" in err and "faceapp confirm" in err
    assert not (tmp_path / "out" / "model.onnx").exists()
