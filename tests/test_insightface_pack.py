"""`faceapp models import-insightface`: an insightface model pack already on disk comes into a library
(its recognition model, optionally its SCRFD detector) once its non-commercial licence terms are
accepted, and embeds faces exactly as insightface would. The packs here are tiny stand-ins with the
shapes of buffalo_l's files (tests/insightface_tiny.py); no real weights."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")

import insightface_tiny as tiny  # noqa: E402  (tests/ is on sys.path: it holds conftest.py)

from faceapp.cli import main  # noqa: E402
from faceapp.jobs import insightface_pack as ifp  # noqa: E402

HAS_INSIGHTFACE = importlib.util.find_spec("insightface") is not None


@pytest.fixture
def pack(tmp_path) -> Path:
    return tiny.make_pack(tmp_path / "insightface" / "models" / "buffalo_t")


def _crops(n: int = 4, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, 112, 112, 3), dtype=np.uint8)


def _ort_embed(path: Path, crops: np.ndarray, mean: float, std: float) -> np.ndarray:
    """What insightface's ArcFaceONNX.forward computes: (RGB - mean) / std, NCHW, one session run."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = ((crops.astype(np.float32) - mean) / std).transpose(0, 3, 1, 2)
    out = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(x)})[0]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_roles_come_from_shapes_not_names(pack):
    for src, dst in (("w600k_r50.onnx", "a.onnx"), ("det_10g.onnx", "b.onnx"), ("2d106det.onnx", "c.onnx"),
                     ("genderage.onnx", "d.onnx")):
        (pack / src).rename(pack / dst)
    roles = {m.path.name: m.role for m in ifp.inspect_pack(pack).models}
    assert roles == {"a.onnx": "recognition", "b.onnx": "detection", "c.onnx": "landmark", "d.onnx": "attribute"}


def test_preprocessing_read_from_the_graph(tmp_path):
    plain = ifp.inspect_model(tiny.recognition(tmp_path / "r.onnx"))
    baked = ifp.inspect_model(tiny.recognition(tmp_path / "mx.onnx", baked_norm=True))
    assert (plain.mean, plain.std, plain.embedding_size, plain.input_size) == (127.5, 127.5, 512, 112)
    assert (baked.mean, baked.std) == (0.0, 1.0)  # Sub and Mul first: the graph normalises by itself


def test_nothing_is_written_without_accepting_the_licence(pack, file_db, tmp_path):
    from faceapp.storage import models as model_store

    with pytest.raises(ifp.PackError, match="licence"):
        ifp.import_pack(file_db, pack, accept_licence=False)
    assert model_store.list_models(file_db) == [] and not (tmp_path / "models").exists()

    lib = tmp_path / "cli" / "lib.db"
    lib.parent.mkdir()
    # stdin is not a terminal: no question can be asked, so no acceptance
    assert main(["models", "import-insightface", str(pack), "--db", str(lib)]) != 0
    assert list(lib.parent.iterdir()) == []


def test_import_registers_a_copy_with_the_pack_and_its_licence(pack, file_db, tmp_path):
    from faceapp.storage import models as model_store

    res = ifp.import_pack(file_db, pack, accept_licence=True)
    row = model_store.model_row(file_db, res.model_row)
    assert row["model_id"] == "insightface-buffalo_t-w600k_r50"
    assert model_store.active_model(file_db)["model_id"] == "sface-2021dec"  # registered, not switched to
    meta = row["metadata"]
    assert meta["license"] == ifp.LICENCE_SHORT and meta["insightface_pack"] == "buffalo_t"
    assert (meta["mean"], meta["std"], meta["color_order"], meta["embedding_size"]) == (127.5, 127.5, "RGB", 512)
    kept = Path(row["path"])
    assert kept.parent == tmp_path / "models" and kept.is_file()  # beside the library
    shutil.rmtree(pack)  # the pack may go away: the library has its copy
    assert ifp.import_pack(file_db, tiny.make_pack(pack), accept_licence=True).model_row == res.model_row
    assert [f.name for f in (tmp_path / "models").glob("*.onnx")] == [kept.name]  # the same copy, not a second


def test_a_second_import_keeps_the_measured_thresholds(pack, file_db, tmp_path):
    from faceapp.storage import models as model_store

    res = ifp.import_pack(file_db, pack, accept_licence=True)
    cal = ifp.calibrate_imported(file_db, res.model_row, [_people(tmp_path / "labeled")])
    ifp.import_pack(file_db, pack, accept_licence=True)
    assert model_store.model_row(file_db, res.model_row)["metadata"]["thresholds"] == cal["thresholds"]


def test_imported_model_embeds_as_insightface_does(pack, file_db):
    from faceapp.jobs.models import embedder_for
    from faceapp.storage import models as model_store

    res = ifp.import_pack(file_db, pack, accept_licence=True)
    crops = _crops()
    got = embedder_for(model_store.model_row(file_db, res.model_row), device="cpu").embed(crops)
    want = _ort_embed(pack / "w600k_r50.onnx", crops, 127.5, 127.5)
    np.testing.assert_allclose(got, want, atol=1e-5)
    raw = _ort_embed(pack / "w600k_r50.onnx", crops, 0.0, 1.0)
    assert np.abs(got - raw).max() > 1e-2  # the normalisation matters for this graph


def test_a_graph_that_normalises_itself_is_fed_raw_pixels(tmp_path, file_db):
    from faceapp.jobs.models import embedder_for
    from faceapp.storage import models as model_store

    folder = tmp_path / "antelope_t"
    tiny.recognition(folder / "glintr100.onnx", baked_norm=True)
    res = ifp.import_pack(file_db, folder, accept_licence=True)
    crops = _crops(2)
    got = embedder_for(model_store.model_row(file_db, res.model_row), device="cpu").embed(crops)
    np.testing.assert_allclose(got, _ort_embed(folder / "glintr100.onnx", crops, 0.0, 1.0), atol=1e-5)


def test_detector_is_copied_and_runs_in_faceapp(pack, file_db):
    from faceapp import paths
    from faceapp.core.detect import DetectorSettings, create_detector
    from faceapp.storage import models as model_store

    res = ifp.import_pack(file_db, pack, accept_licence=True, detector=True)
    assert res.detector_path is not None and res.detector_path.read_bytes() == (pack / "det_10g.onnx").read_bytes()
    assert model_store.model_row(file_db, res.model_row)["metadata"]["detector"] == str(res.detector_path)
    settings = DetectorSettings(model_path=str(res.detector_path))
    assert isinstance(create_detector(settings, paths.YUNET).detect(np.zeros((200, 300, 3), np.uint8)), list)


def test_cli_lists_packs_and_imports_one_by_name(pack, tmp_path, capsys, monkeypatch):
    root = pack.parent
    (root / "empty").mkdir()
    assert main(["models", "import-insightface", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "buffalo_t: " in out and "w600k_r50.onnx (recognition)" in out and "empty" not in out

    assert main(["models", "import-insightface", str(root)]) == 0  # a folder of packs: listed, not imported
    assert "buffalo_t: " in capsys.readouterr().out

    monkeypatch.setenv("HOME", str(tmp_path / "nohome"))
    assert main(["models", "import-insightface"]) == 0
    assert "no insightface model packs under" in capsys.readouterr().out

    lib = tmp_path / "lib.db"
    assert main(["models", "import-insightface", "buffalo_t", "--root", str(root), "--db", str(lib),
                 "--accept-licence", "--detector"]) == 0
    out = capsys.readouterr().out
    assert "NON-COMMERCIAL RESEARCH USE ONLY" in out and "(x - 127.5) / 127.5" in out and "--detector-model" in out
    assert main(["models", "list", "--db", str(lib), "--json"]) == 0
    rows = {r["model_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["insightface-buffalo_t-w600k_r50"]["license"] == ifp.LICENCE_SHORT


@pytest.mark.parametrize("answer", ["n", "yes"])
def test_cli_asks_at_a_terminal(pack, tmp_path, monkeypatch, answer):
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library

    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: answer)
    lib = tmp_path / "lib.db"
    rc = main(["models", "import-insightface", str(pack), "--db", str(lib)])
    if answer == "n":
        assert rc != 0 and not lib.exists()
    else:
        assert rc == 0 and model_store.row_for_model_id(open_library(lib), "insightface-buffalo_t-w600k_r50")


def _people(root: Path, people: int = 3, each: int = 3) -> Path:
    import cv2

    rng = np.random.default_rng(5)
    for p in range(people):
        base = rng.integers(0, 256, (112, 112, 3))
        for i in range(each):
            img = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
            (root / f"person{p}").mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(root / f"person{p}" / f"{i}.png"), img)
    return root


def test_use_needs_and_gets_a_calibration(pack, tmp_path, capsys):
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library

    lib = tmp_path / "lib.db"
    args = ["models", "import-insightface", str(pack), "--db", str(lib), "--accept-licence", "--device", "cpu"]
    assert main([*args, "--use"]) != 0  # a pack brings no thresholds: clustering could not use it
    assert not lib.exists()
    assert main([*args, "--use", "--calibrate", str(_people(tmp_path / "labeled"))]) == 0
    db = open_library(lib)
    active = model_store.active_model(db)
    assert active["model_id"] == "insightface-buffalo_t-w600k_r50"
    assert set(active["metadata"]["thresholds"]) == {"1e-2", "1e-3", "1e-4"}
    assert active["metadata"]["calibrated_on"] == {"labeled": {"faces": 9, "people": 3}}


@pytest.mark.skipif(HAS_INSIGHTFACE, reason="insightface is installed here")
def test_with_insightface_says_when_it_is_missing(pack):
    with pytest.raises(ifp.PackError, match="not installed"):
        ifp.inspect_pack(pack, use_insightface=True)


@pytest.mark.skipif(not HAS_INSIGHTFACE, reason="the optional insightface package is not installed")
def test_insightface_model_zoo_agrees_with_faceapps_reading(pack, tmp_path):
    tiny.recognition(pack / "mx.onnx", baked_norm=True)
    ours = {m.path.name: (m.role, m.mean, m.std) for m in ifp.inspect_pack(pack).models}
    theirs = ifp.inspect_pack(pack, use_insightface=True).models
    assert {m.path.name: (m.role, m.mean, m.std) for m in theirs} == ours
    assert {m.via for m in theirs} == {"insightface"}


def test_import_makes_no_network_call(pack, tmp_path):
    """At the system-call level (tests/test_offline_native.py's rule): no AF_INET/AF_INET6 call at all."""
    import subprocess
    import sys

    from test_offline_native import NETWORK, STRACE, user_env

    if STRACE is None:
        pytest.skip("strace is not installed")
    trace = tmp_path / "trace.txt"
    cmd = [STRACE, "-f", "-qq", "-e", "trace=network", "-o", str(trace), sys.executable, "-m", "faceapp", "models",
           "import-insightface", str(pack), "--db", str(tmp_path / "lib.db"), "--accept-licence", "--detector"]
    done = subprocess.run(cmd, env=user_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not [line for line in trace.read_text().splitlines() if NETWORK.search(line)]


def test_a_pack_without_what_was_asked_for_writes_nothing(tmp_path):
    lib = tmp_path / "lib.db"
    no_det = tiny.make_pack(tmp_path / "no_det", with_detector=False)
    assert main(["models", "import-insightface", str(no_det), "--db", str(lib), "--accept-licence", "--detector"]) != 0
    heads_only = tmp_path / "heads"
    heads_only.mkdir()
    shutil.copy(no_det / "genderage.onnx", heads_only)
    assert main(["models", "import-insightface", str(heads_only), "--db", str(lib), "--accept-licence"]) != 0
    assert main(["models", "import-insightface", str(no_det), "--db", str(lib), "--accept-licence",
                 "--model", "glintr100"]) != 0
    assert not lib.exists()


def test_an_unmeasured_pack_model_is_not_switched_to(pack, tmp_path):
    from faceapp.storage import models as model_store
    from faceapp.storage.db import open_library

    lib = tmp_path / "lib.db"
    assert main(["models", "import-insightface", str(pack), "--db", str(lib), "--accept-licence"]) == 0
    db = open_library(lib)
    row = model_store.row_for_model_id(db, "insightface-buffalo_t-w600k_r50")
    assert main(["models", "use", str(row), "--db", str(lib), "--device", "cpu"]) != 0
    assert model_store.active_model(db)["model_id"] == "sface-2021dec"  # the library can still group people


@pytest.mark.skipif(not HAS_INSIGHTFACE, reason="the optional insightface package is not installed")
def test_same_embedding_as_insightface_from_a_photo_and_landmarks(pack, file_db):
    """Photo + five landmarks → faceapp's aligned crop → the imported model, against insightface's own
    path (norm_crop on the BGR photo, ArcFaceONNX.get): one alignment template, one preprocessing."""
    from insightface.app.common import Face
    from insightface.model_zoo import get_model

    from faceapp.core.align import align_face
    from faceapp.jobs.models import embedder_for
    from faceapp.storage import models as model_store

    res = ifp.import_pack(file_db, pack, accept_licence=True)
    rgb = np.random.default_rng(11).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    kps = np.array([[130, 100], [180, 98], [156, 130], [135, 160], [178, 158]], np.float32)
    ours = embedder_for(model_store.model_row(file_db, res.model_row), device="cpu").embed(align_face(rgb, kps))[0]
    model = get_model(str(pack / "w600k_r50.onnx"), providers=["CPUExecutionProvider"])
    theirs = model.get(np.ascontiguousarray(rgb[:, :, ::-1]), Face(kps=kps))
    np.testing.assert_allclose(ours, theirs / np.linalg.norm(theirs), atol=5e-4)  # 8.5e-5 seen: warp rounding
