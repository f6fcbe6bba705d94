"""`faceapp models list|use|restore|import`: a model made elsewhere comes into a library, is switched
to (every face embedded with it), and the bundled model can be restored."""

from __future__ import annotations

import json

import pytest

from faceapp.cli import main
from faceapp.storage.backup import copy_library


def _stand_in(tmp_path, thresholds: dict | None):
    """The bundled model's weights under another model id (a stand-in for a trained model, which
    carries the thresholds its training measured; an ONNX made elsewhere may carry none)."""
    onnx = pytest.importorskip("onnx")
    from faceapp import paths

    model = onnx.load(str(paths.SFACE))
    props = {p.key: p.value for p in model.metadata_props}
    props.update({"model_id": "sface-ft-test-1", "base_model": "sface-2021dec", "loss": "arcface",
                  "training_data": "albums test"})
    if thresholds is not None:
        props["thresholds"] = json.dumps(thresholds)
    del model.metadata_props[:]
    for k, v in props.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    path = tmp_path / "elsewhere" / "model.onnx"
    path.parent.mkdir()
    onnx.save(model, str(path))
    return path


@pytest.fixture
def other_model(tmp_path):
    return _stand_in(tmp_path, {"1e-2": 0.28, "1e-3": 0.36, "1e-4": 0.42})


def test_a_model_without_thresholds_is_not_switched_to(scanned_sample, tmp_path, capsys) -> None:
    # Found by hand: `models use` switched to it, then `faceapp cluster` refused, and the library could
    # not group people until the user found `faceapp calibrate` or `models restore`.
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library

    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    assert main(["models", "import", str(_stand_in(tmp_path, None)), "--db", str(lib)]) == 0
    db = open_library(lib)
    row = {m["model_id"]: m for m in model_store.list_models(db)}["sface-ft-test-1"]["id"]
    capsys.readouterr()
    assert main(["models", "use", str(row), "--db", str(lib), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "faceapp calibrate" in err and "sface-ft-test-1" in err
    assert model_store.active_model(db)["model_id"] == "sface-2021dec"
    assert main(["cluster", "--db", str(lib)]) == 0  # the library still groups people


def test_import_use_restore(scanned_sample, other_model, tmp_path, capsys) -> None:
    from faceapp.storage import faces as face_store
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library

    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    assert main(["models", "import", str(other_model), "--db", str(lib)]) == 0
    db = open_library(lib)
    rows = {m["model_id"]: m for m in model_store.list_models(db)}
    assert set(rows) == {"sface-2021dec", "sface-ft-test-1"}
    assert model_store.active_model(db)["model_id"] == "sface-2021dec"  # import alone switches nothing
    kept = rows["sface-ft-test-1"]["path"]
    assert kept != str(other_model) and str(tmp_path) in kept  # the file was copied beside the library
    other_model.unlink()  # the training folder may go away: the library keeps its copy

    capsys.readouterr()
    assert main(["models", "list", "--db", str(lib), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["active"] for m in listed] == [True, False] and listed[1]["loss"] == "arcface"

    assert main(["models", "use", str(rows["sface-ft-test-1"]["id"]), "--db", str(lib), "--device", "cpu"]) == 0
    active = model_store.active_model(db)
    assert active["model_id"] == "sface-ft-test-1"
    assert not face_store.faces_missing_embedding(db, active["id"])

    assert main(["models", "restore", "--db", str(lib), "--device", "cpu"]) == 0
    assert model_store.active_model(db)["model_id"] == "sface-2021dec"


def test_use_an_unknown_model_is_refused(scanned_sample, tmp_path, capsys) -> None:
    lib = tmp_path / "lib.db"
    copy_library(scanned_sample, lib)
    assert main(["models", "use", "99", "--db", str(lib)]) == 2
    assert "no model 99" in capsys.readouterr().err


def test_import_refuses_a_file_that_is_not_a_model(tmp_path, capsys) -> None:
    bad = tmp_path / "x.onnx"
    bad.write_text("not a model")
    assert main(["models", "import", str(bad), "--db", str(tmp_path / "lib.db")]) == 2
    assert "not a faceapp model file" in capsys.readouterr().err
