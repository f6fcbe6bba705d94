"""The torch SFace matches the base ONNX model; a tiny CPU fine-tune lowers its loss; the exported
model carries the metadata, loads in the app (faceapp.core.embed.Embedder) and agrees with torch."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from trainer.backbones import build_backbone, load_sface
from trainer.config import TrainConfig


def test_torch_sface_matches_onnxruntime_on_real_crops(real_crops) -> None:
    from faceapp import paths
    from faceapp.core.embed import Embedder

    net = load_sface()
    emb = Embedder(paths.SFACE, device="cpu")
    crops = real_crops.crops[::4]
    want = emb._run(emb.preprocess(crops))  # raw fc1 through the app's own preprocessing
    with torch.no_grad():
        got = net(torch.from_numpy(emb.preprocess(crops))).numpy()
    assert np.abs(got - want).max() < 1e-4


def test_split_is_the_same_network() -> None:
    net = load_sface()
    trunk, tail = net.split(2)
    x = torch.rand(2, 3, 112, 112) * 255
    with torch.no_grad():
        assert torch.allclose(tail(trunk(x)), net(x), atol=1e-5)
    assert len(list(trunk.children())) == 1 + len(list(net.body.children())) - 2


@pytest.mark.parametrize("name,dim", [("mobilefacenet", 128), ("iresnet18", 512)])
def test_scratch_backbones_shape(name, dim) -> None:
    net = build_backbone(name).eval()
    with torch.no_grad():
        assert net(torch.rand(2, 3, 112, 112) * 255).shape == (2, dim)


def test_tiny_cpu_finetune_loss_falls_and_export_loads_in_app(real_crops, tmp_path) -> None:
    from faceapp.core.embed import Embedder
    from faceapp.core.modelmeta import read_model_info
    from trainer.engine import train
    from trainer.evaluate import calibrate
    from trainer.export import export_model, model_metadata, parity
    from trainer.features import embed_crops

    tr, val = real_crops.split_photos(0.75)
    cfg = TrainConfig(loss="cosface", loss_params={"s": 30.0}, epochs=2, batch_size=18, lr=3e-4, head_lr=3e-3,
                      device="cpu", trainable_units=1, out_dir=str(tmp_path / "run"), init_head_from_centres=False)
    res = train(cfg, tr, None, progress=None)
    losses = [h["loss"] for h in res.history]
    assert losses[-1] < losses[0]
    assert (tmp_path / "run" / "checkpoint.pt").exists()
    # resume: one more epoch picks up where the checkpoint left off
    more = train(TrainConfig(**{**cfg.to_dict(), "epochs": 3, "resume": True}), tr, None, progress=None)
    assert [h["epoch"] for h in more.history if "warmup" not in h] == [1, 2, 3]

    thr = calibrate(embed_crops(res.net, val.crops), val.labels)
    path = export_model(res.net, tmp_path / "ft.onnx", model_metadata(
        "test-ft", 128, "cosface", {"s": 30.0, "m": 0.35}, "glint_aligned: 6 people", thr))
    assert parity(res.net, path, val.crops) < 1e-4
    info = read_model_info(path)
    assert info.model_id == "test-ft" and info.loss == "cosface" and info.loss_params == {"s": 30.0, "m": 0.35}
    assert set(info.thresholds) == {"1e-2", "1e-3", "1e-4"}
    app = Embedder(path, device="cpu").embed(val.crops)
    ours = embed_crops(res.net, val.crops)
    assert np.abs(app - ours).max() < 1e-4
    assert json.loads(info.raw["normalization"])["std"] == 1.0


def test_trunk_features_fast_rewrite_matches_plain_onnxruntime(real_crops) -> None:
    from trainer.backbones import load_sface
    from trainer.features import trunk_features

    trunk, _ = load_sface().split(2)
    crops = real_crops.crops[:8]
    fast = trunk_features(trunk, crops, dtype=np.float32)
    plain = trunk_features(trunk, crops, dtype=np.float32, fast=False)
    assert np.allclose(fast, plain, atol=1e-4, rtol=1e-4)
