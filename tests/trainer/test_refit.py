"""cfg.refit: the kept recipe trained again on every face (trainer.pipeline._refit)."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from trainer.config import TrainConfig


def test_refit_trains_the_kept_epochs_on_all_faces_and_blends_toward_the_base(real_crops, tmp_path) -> None:
    from trainer.config import TrainConfig
    from trainer.pipeline import _base_state, _refit

    cfg = TrainConfig(loss="cosface", epochs=5, device="cpu", trainable_units=1, out_dir=str(tmp_path), workers=0)
    kept = SimpleNamespace(best_epoch=1, best_alpha=0.5)
    net = _refit(cfg, real_crops, kept, progress=None)
    base = _base_state(cfg)
    moved = {k: (t.float() - base[k].float()).abs().max().item() for k, t in net.state_dict().items()
             if t.is_floating_point()}
    assert max(moved.values()) > 0  # it trained
    full = _refit(TrainConfig(**{**cfg.to_dict(), "out_dir": str(tmp_path / "b")}), real_crops,
                  SimpleNamespace(best_epoch=1, best_alpha=1.0), progress=None)
    for k, t in net.state_dict().items():  # alpha 0.5 sits halfway between the base and the full fine-tune
        if t.is_floating_point() and moved[k] > 0:
            assert torch.allclose(t.float(), (base[k].float() + full.state_dict()[k].float()) / 2, atol=1e-4)


def test_a_refit_model_gets_thresholds_moved_by_its_own_shift_on_unlabeled_faces(real_crops) -> None:
    import numpy as np

    from faceapp import paths
    from faceapp.jobs.models import shipped_calibration
    from trainer.backbones import build_backbone
    from trainer.config import TrainConfig
    from trainer.pipeline import MIN_ANCHORS, _refit_thresholds, pair_edge

    cfg = TrainConfig(device="cpu")
    base = build_backbone("sface").eval()
    assert _refit_thresholds(cfg, base, None) is None
    assert _refit_thresholds(cfg, base, real_crops.crops[: MIN_ANCHORS - 1]) is None  # too few to measure
    thr, curve, shift = _refit_thresholds(cfg, base, real_crops.crops)
    assert shift == 0.0  # the base model itself: nothing moved
    shipped = shipped_calibration("sface-2021dec")
    assert thr == {k: round(v, 5) for k, v in shipped["thresholds"].items()}
    assert len(curve) == len(shipped["far_curve"])
    assert paths.SFACE  # the bundled base model measured the shift
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    tight = x + 1.0
    tight /= np.linalg.norm(tight, axis=1, keepdims=True)
    assert pair_edge(tight) > pair_edge(x)  # faces pulled together: the edge of the highest pairs rises
    assert pair_edge(x, 0.5) < pair_edge(x, 0.1)


def test_refit_whole_trains_the_tested_recipe_unblended(real_crops, tmp_path) -> None:
    from trainer.config import TrainConfig
    from trainer.engine import train
    from trainer.pipeline import _refit

    cfg = TrainConfig(loss="cosface", epochs=2, device="cpu", trainable_units=1, out_dir=str(tmp_path), workers=0,
                      refit_whole=True)
    kept = SimpleNamespace(best_epoch=1, best_alpha=0.5)
    net = _refit(cfg, real_crops, kept, progress=None)
    plain = TrainConfig(**{**cfg.to_dict(), "refit_whole": False, "out_dir": str(tmp_path / "b")})
    whole = train(plain, real_crops, None, progress=None).net  # cfg.epochs, nothing blended
    for k, t in net.state_dict().items():
        if t.is_floating_point():
            assert torch.allclose(t.float(), whole.state_dict()[k].float(), atol=1e-5), k


def test_run_finetune_exports_the_refit_model_with_thresholds_moved_by_its_shift(real_crops, tmp_path,
                                                                                 monkeypatch) -> None:
    """The whole refit path: the kept candidate is trained again on every face, and the exported file
    holds that model with the base calibration moved by the shift measured on the faces nobody named
    (not the first shift, which the split model's validation faces measured)."""
    import json

    import numpy as np

    import trainer.engine as engine
    from faceapp import paths
    from faceapp.core.embed import Embedder
    from faceapp.core.modelmeta import read_model_info
    from trainer.pipeline import base_calibration, run_finetune

    real_train = engine.train

    def keeps_epoch_one(cfg, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        res = real_train(cfg, *args, **kwargs)
        if cfg.refit:  # the first training: say its selection kept epoch 1 unblended, whatever it measured
            res.selection, res.best_epoch, res.best_alpha = {"kept": "epoch 1"}, 1, 1.0
        return res

    monkeypatch.setattr(engine, "train", keeps_epoch_one)
    data = real_crops.subset(np.arange(len(real_crops)))
    data.anchors = real_crops.crops  # the library's faces nobody named (here: the same 72 crops)
    cfg = TrainConfig(loss="cosface", epochs=1, device="cpu", trainable_units=1, workers=0, refit=True,
                      out_dir=str(tmp_path / "out"))
    logs: list[str] = []
    report = run_finetune(data, cfg, tmp_path / "out", "test", log=logs.append, progress=lambda *_: None)
    assert report["refit"] == {"faces": len(data), "epochs": 1, "alpha": 1.0}
    path = tmp_path / "out" / "model.onnx"
    info = read_model_info(path)
    meta = _metadata(path)
    shift = float(meta["threshold_shift"])
    assert shift != 0.0  # the refit model moved the faces' pairs
    base, curve = base_calibration(paths.SFACE)
    assert info.thresholds == {k: round(v + shift, 5) for k, v in base.items()}
    assert json.loads(meta["far_curve"]) == [[f, round(t + shift, 5)] for f, t in curve]
    assert report["thresholds"] == info.thresholds
    assert any("trained on every face" in line and "faces nobody named" in line for line in logs)
    emb = Embedder(path, device="cpu").embed(real_crops.crops[:4])
    base_emb = Embedder(paths.SFACE, device="cpu").embed(real_crops.crops[:4])
    assert not np.allclose(emb, base_emb, atol=1e-4)  # the file holds a trained model, not the base


def _metadata(path) -> dict:  # noqa: ANN001
    import onnx

    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}
