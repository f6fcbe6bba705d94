"""WiSE-FT blending with the base model (exact at α = 0 and 1, selection respects the guard people)
and LP-FT's head warm-up (class weights move, the backbone does not)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from trainer.backbones import load_sface
from trainer.config import TrainConfig
from trainer.selection import choose, interpolate


def _tuned_pair() -> tuple[torch.nn.Module, dict, dict]:
    net = load_sface().eval()
    base = {k: v.clone() for k, v in net.state_dict().items()}
    _, tail = net.split(1)
    with torch.no_grad():
        for p in tail.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    for m in net.modules():
        if hasattr(m, "num_batches_tracked"):
            m.num_batches_tracked += 3
    return net, base, {k: v.clone() for k, v in net.state_dict().items()}


def test_interpolation_is_exact_at_the_ends_and_linear_between() -> None:
    net, base, tuned = _tuned_pair()
    x = torch.rand(3, 3, 112, 112) * 255
    ref = load_sface().eval()
    with torch.no_grad():
        net.load_state_dict(interpolate(base, tuned, 0.0))
        assert torch.equal(net(x), ref(x))  # α = 0: exactly the base model's outputs
        net.load_state_dict(interpolate(base, tuned, 1.0))
        out_tuned = net(x)
    net.load_state_dict(tuned)
    with torch.no_grad():
        assert torch.equal(net(x), out_tuned)  # α = 1: exactly the fine-tuned model
    mid = interpolate(base, tuned, 0.5)
    for k, v in tuned.items():
        if v.is_floating_point():
            assert torch.allclose(mid[k], (base[k] + v) / 2, atol=1e-6)
        else:
            assert torch.equal(mid[k], v)  # integer counters from the fine-tuned side


def test_choice_respects_the_guard_and_prefers_the_base_side_on_ties() -> None:
    from trainer.selection import Candidate as C

    cands = [C(alpha=0.25, val_score=0.95, guard_score=0.90), C(alpha=0.5, val_score=0.96, guard_score=0.90),
             C(alpha=1.0, val_score=0.99, guard_score=0.80)]  # best on val, but strangers lose
    assert choose(cands, 0.94, guard_floor=0.89).alpha == 0.5
    assert choose(cands, 0.94, guard_floor=None).alpha == 1.0
    assert choose(cands, 0.97, guard_floor=0.89) is None  # nothing better than what is kept
    tie = [C(alpha=1.0, val_score=0.96, guard_score=0.9), C(alpha=0.5, val_score=0.96, guard_score=0.9)]
    assert choose(tie, 0.9, 0.0).alpha == 0.5


def _people(fs, people):  # noqa: ANN001, ANN202
    return fs.subset(np.flatnonzero(np.isin(fs.labels, people)), relabel=True)


def test_guard_that_never_holds_returns_the_base_model(real_crops, monkeypatch) -> None:
    from trainer import engine
    from trainer.features import embed_crops

    monkeypatch.setattr(engine, "GUARD_TOLERANCE", -1.0)  # the guard's floor is above any score
    tr, val = _people(real_crops, [0, 1, 2, 3]).split_photos(0.75)
    guard = _people(real_crops, [4, 5])
    cfg = TrainConfig(loss="cosface", epochs=1, batch_size=16, device="cpu", trainable_units=1, lr=1e-3)
    res = engine.train(cfg, tr, val, progress=None, guard=guard)
    assert res.best_epoch == 0
    assert {c["alpha"] for c in res.history[-1]["wise"]} == {*cfg.wise_alphas, 1.0}
    base = embed_crops(load_sface(), val.crops[:4])
    assert np.abs(embed_crops(res.net, val.crops[:4]) - base).max() < 1e-5


def test_head_warmup_moves_only_the_class_weights(real_crops) -> None:
    from trainer.engine import train

    tr, _ = real_crops.split_photos(0.75)
    cfg = TrainConfig(loss="cosface", epochs=0, head_warmup=2, batch_size=16, device="cpu", trainable_units=1,
                      init_head_from_centres=False)
    torch.manual_seed(cfg.seed)
    res = train(cfg, tr, None, progress=None)
    base = load_sface().state_dict()
    assert all(torch.equal(v, base[k]) for k, v in res.net.state_dict().items())
    assert [h["warmup"] for h in res.history] == [1, 2] and res.history[-1]["loss"] < res.history[0]["loss"]


@pytest.mark.parametrize("warmup", [0, 1])
def test_warmup_history_does_not_count_as_epochs(real_crops, warmup) -> None:
    from trainer.engine import train

    tr, _ = real_crops.split_photos(0.75)
    cfg = TrainConfig(loss="cosface", epochs=1, head_warmup=warmup, batch_size=16, device="cpu", trainable_units=1)
    res = train(cfg, tr, None, progress=None)
    assert [h["epoch"] for h in res.history if "warmup" not in h] == [1]
    assert len(res.history) == 1 + warmup


def test_guard_score_sees_trained_classes_widening_toward_strangers() -> None:
    from trainer.validation import guard_score, val_score

    rng = np.random.default_rng(0)
    dirs = np.linalg.qr(rng.normal(size=(64, 64)))[0][:16]  # 16 orthogonal people: 10 trained, 6 guard

    def faces(people):  # noqa: ANN001, ANN202
        lab = np.repeat(np.arange(len(people)), 8)
        e = dirs[people][lab] + rng.normal(size=(len(lab), 64)) / 8
        return e / np.linalg.norm(e, axis=1, keepdims=True), lab

    val, vl = faces(list(range(10)))
    guard, gl = faces(list(range(10, 16)))
    before = guard_score(val, vl, guard, gl)
    assert before > 0.9
    # the trained people's faces spread toward the strangers: the guard's own pairs are unchanged
    # (so a score on guard faces alone sees nothing), but the thresholds the impostor pairs of
    # val + guard set rise, and the strangers' pairs no longer pass them
    wide = val + 0.6 * dirs[10 + vl % 6]
    wide /= np.linalg.norm(wide, axis=1, keepdims=True)
    assert val_score(wide, vl) >= val_score(val, vl) - 0.05
    assert guard_score(wide, vl, guard, gl) < before - 0.3


def test_epoch_weights_are_kept_as_a_delta_from_the_base():
    import torch

    from trainer.selection import changed, restore

    base = {"frozen": torch.ones(3), "head": torch.zeros(2), "count": torch.tensor(5)}
    tuned = {"frozen": torch.ones(3), "head": torch.tensor([0.5, -1.0]), "count": torch.tensor(7)}
    delta = changed(base, tuned)
    assert set(delta) == {"head", "count"}
    full = restore(base, delta)
    assert all(torch.equal(full[k], tuned[k]) for k in tuned)


def test_validation_without_guard_people_runs_the_whole_selection(real_crops, monkeypatch) -> None:
    """`faceapp train --aligned DIR` validates on held-out photos of the same people and has no guard
    set: the one-SE choice over the run's candidates must still work when it keeps a trained epoch (it
    raised KeyError: 'guard_score' on the GPU check's run)."""
    from trainer import engine

    calls = iter(range(1000))
    monkeypatch.setattr(engine, "val_score", lambda emb, labels: next(calls) / 1000)  # each candidate better
    monkeypatch.setattr(engine, "score_diff_se", lambda *a, **k: 0.0)  # no noise: the best is kept
    tr, val = _people(real_crops, [0, 1, 2, 3]).split_photos(0.75)
    cfg = TrainConfig(loss="cosface", epochs=2, batch_size=16, device="cpu", trainable_units=1, lr=1e-3,
                      patience=5)
    assert cfg.select_se > 0
    res = engine.train(cfg, tr, val, progress=None, guard=None)
    assert res.selection["kept"]["epoch"] == 2 and res.selection["kept"]["guard_score"] is None
    assert (res.best_epoch, res.best_alpha) == (2, 1.0) and res.history[-1]["epoch"] == 2


def test_distributed_cpu_run_uses_gloo_on_a_machine_with_a_gpu(real_crops, monkeypatch) -> None:
    """torchrun with "device": "cpu" on a GPU machine: NCCL cannot carry CPU tensors (the H200 check's
    DDP run failed so); the process group must be gloo whenever the training device is the CPU."""
    from trainer import engine

    class Started(Exception):
        pass

    def init(backend: str, **kw) -> None:
        raise Started(backend)

    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(engine.torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(engine.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(engine.dist, "init_process_group", init)
    tr, val = _people(real_crops, [0, 1]).split_photos(0.75)
    with pytest.raises(Started, match="^gloo$"):
        engine.train(TrainConfig(loss="cosface", epochs=1, device="cpu"), tr, val, progress=None)


def test_too_few_faces_to_test_a_model_is_refused_before_training(real_crops, tmp_path) -> None:
    """Four people with four faces each leave nothing to validate on: the run was trained for minutes
    and then failed with "no impostor scores"; it is refused first, in words, and nothing is written."""
    from trainer.pipeline import run_finetune

    small = _people(real_crops, [0, 1, 2, 3])
    small = small.subset(np.concatenate([np.flatnonzero(small.labels == c)[:4] for c in range(4)]))
    cfg = TrainConfig(loss="cosface", epochs=1, device="cpu", trainable_units=1)
    with pytest.raises(ValueError, match="too few faces to test"):
        run_finetune(small, cfg, tmp_path / "out", "test", log=lambda _: None)
    assert not (tmp_path / "out" / "model.onnx").exists()
