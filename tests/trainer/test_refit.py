"""cfg.refit: the kept recipe trained again on every face (trainer.pipeline._refit)."""

from __future__ import annotations

from types import SimpleNamespace

import torch


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
