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
