"""The training loop: fine-tune (or train) a backbone with any loss, on CPU or CUDA, resumable.

* CUDA: everything trains, mixed precision (autocast + GradScaler), on-the-fly augmentation.
* CPU: only the last conv units and the head train; the frozen trunk's features of each face and of
  its mirror image are computed once (trainer.features), so an epoch is seconds, not minutes.
* Several GPUs: run under `torchrun --nproc_per_node N -m trainer ...`; the model and the loss
  (which owns class weights) are wrapped together in DistributedDataParallel and each rank takes
  every N-th batch.
* Distillation toward the base model (cfg.distill, on by default): the embedding of each training
  face is pulled toward the base model's direction for it, as in Learning without Forgetting (Li &
  Hoiem 2016). Without it, margin losses sharpen the trained people but lower the figures of people
  the training never saw; with it they stay within noise (see `faceapp bench losses`).
* Linear probe, then fine-tune (LP-FT, Kumar et al. 2022; cfg.head_warmup): classification losses
  first train their class weights alone on the base model's embeddings, so that a freshly set
  classifier does not drag the features around in the first steps.
* Weight-space ensembling with the base model (WiSE-FT, Wortsman et al. 2022; cfg.wise_alphas):
  after every epoch the weights θ = (1−α)·θ_base + α·θ_ft are scored for each α of the grid as well.
* A checkpoint after every epoch (resume=True picks it up); early stopping on held-out faces
  (mean TAR over FAR 1e-3…1e-1 on every pair of the validation faces) whose guard people's score holds.
* What is kept (cfg.select_se, the one-standard-error rule of Breiman et al. 1984 pointed at the base
  model): of every candidate of the run whose guard score holds — the base model itself, each
  epoch's weights and their blends — the one closest to the base model in weight space whose
  validation score is within select_se standard errors of the best. ~180 validation faces and 15
  guard people cannot tell apart candidates a few tenths of a point apart, and among those the one
  that moved least from the base model risks least for people the training never saw (the best on
  validation alone cost strangers up to 0.9 points of TAR@1e-3 in `faceapp bench losses`). The
  standard error is that of the paired difference to the best, by half-sampling the validation
  people (validation.score_diff_se). The same rule for every loss; select_se=0 keeps the best.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from trainer.augment import augment, to_tensor
from trainer.backbones import build_backbone
from trainer.config import TrainConfig
from trainer.data.faceset import FaceSet
from trainer.features import compute_features, embed_crops, tail_embed
from trainer.losses import build_loss
from trainer.progress import Progress, print_progress
from trainer.samplers import ShuffleSampler, make_sampler
from trainer.selection import best_of, changed, choose, distance, interpolate, restore, within_noise
from trainer.validation import GUARD_TOLERANCE, guard_score, score_diff_se, val_score


@dataclass
class TrainResult:
    net: nn.Module  # the whole backbone (eval mode, CPU), ready for export
    loss_fn: nn.Module
    history: list[dict] = field(default_factory=list)  # per epoch: loss, val, seconds
    best_epoch: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    trainable_units: int | None = None
    stopped_early: bool = False
    best_alpha: float = 1.0  # WiSE-FT weight of the fine-tuned model in the kept weights (0: the base model)
    selection: dict = field(default_factory=dict)  # the best candidate, its standard error, and what was kept


def resolve_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("CUDA was asked for but torch sees no GPU")
        rank = int(os.environ.get("LOCAL_RANK", 0))
        return torch.device("cuda", rank)
    return torch.device("cpu")


class _LossModel(nn.Module):
    """Model and loss as one module so DDP syncs the loss's class weights too."""

    def __init__(self, model: nn.Module, loss_fn: nn.Module, distill: float = 0.0) -> None:
        super().__init__()
        self.model, self.loss_fn, self.distill = model, loss_fn, distill

    def forward(self, x: torch.Tensor, y: torch.Tensor, ref: torch.Tensor | None = None) -> torch.Tensor:
        emb = self.model(x)
        loss = self.loss_fn(emb, y)
        if ref is not None:  # stay near the base model's directions (Learning without Forgetting)
            loss = loss + self.distill * (1 - (F.normalize(emb.float(), dim=1) * ref).sum(1)).mean()
        return loss


def _freeze_bn(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


def rank_share(batches: list, rank: int, world: int) -> list:
    """This rank's batches, the same number on every rank (each step is a collective: a rank with one
    step fewer leaves the others waiting). Whole batches are dealt round-robin, the remainder dropped;
    with fewer batches than ranks every rank takes them all (identical gradients, averaged: the same step)."""
    if world <= 1 or len(batches) < world:
        return batches
    return batches[: len(batches) // world * world][rank::world]


def _warm_head(cfg: TrainConfig, data: FaceSet, model: nn.Module, loss_fn: nn.Module, head_params: list,
               feats: list | None, dev: torch.device, result: TrainResult, rank: int, world: int,
               progress: Callable[[Progress], None] | None) -> None:
    """LP-FT's linear probe: cfg.head_warmup epochs in which only the loss's class weights learn,
    on the (unchanging) embeddings of the model as it is; recorded in the history as 'warmup'."""
    opt = torch.optim.AdamW(head_params, lr=cfg.head_lr, weight_decay=cfg.weight_decay)
    model.eval()
    loss_fn.train()
    for w in range(cfg.head_warmup):
        rng = np.random.default_rng(cfg.seed + 10_000 + w)
        batches = rank_share(list(ShuffleSampler(len(data), cfg.batch_size, cfg.seed + 10_000 + w)), rank, world)
        losses, t0 = [], time.time()
        for step, idx in enumerate(batches, 1):
            with torch.no_grad():
                if feats is not None:
                    copy_of = rng.integers(0, 2, len(idx)) if cfg.augment else np.zeros(len(idx), int)
                    x = torch.from_numpy(np.stack([feats[c][i] for c, i in zip(copy_of, idx, strict=True)]))
                    emb = model(x.to(dev).float())
                else:
                    x = to_tensor(data.crops[idx], dev)
                    emb = model(augment(x) if cfg.augment else x)
            loss = loss_fn(emb.float(), torch.from_numpy(data.labels[idx]).to(dev))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if world > 1:  # keep the ranks' class weights identical without DDP
                for p in head_params:
                    if p.grad is not None:
                        dist.all_reduce(p.grad)
                        p.grad /= world
            opt.step()
            losses.append(float(loss.detach()))
            if progress and rank == 0:
                progress(Progress(f"head warm-up {w + 1}/{cfg.head_warmup}", step, len(batches), len(idx) * step,
                                  time.time() - t0, float(np.mean(losses[-20:]))))
        result.history.append({"epoch": 0, "warmup": w + 1, "loss": float(np.mean(losses)) if losses else None,
                               "seconds": time.time() - t0})


def train(cfg: TrainConfig, data: FaceSet, val: FaceSet | None = None,
          progress: Callable[[Progress], None] | None = print_progress,
          features: dict[str, np.ndarray] | None = None, guard: FaceSet | None = None) -> TrainResult:
    """Train on `data` (labels 0..C−1); early-stop on `val` (same people, other faces) if given.

    `features` may hold the frozen trunk's outputs already computed ('train', 'train_flip', 'val'),
    as the loss benchmark does to share them across losses; they must match `trainable_units`.
    `guard` holds faces of people the training never sees: a candidate (an epoch's weights or a
    WiSE-FT blend of them with the base model) only counts as better if their score
    (validation.guard_score) stays within GUARD_TOLERANCE of the base model's, so strangers are never
    traded for family. result.best_alpha says which blend was kept."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    dev = resolve_device(cfg.device)
    if world > 1 and not dist.is_initialized():  # NCCL only for CUDA tensors: a CPU run on a GPU machine is gloo
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    torch.manual_seed(cfg.seed)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    net = build_backbone(cfg.backbone, weights=cfg.base_model)
    units = cfg.trainable_units
    if units is None and dev.type == "cpu" and hasattr(net, "split"):
        units = 2
    frozen = units is not None and hasattr(net, "split")
    if frozen:
        trunk, model = net.split(units)
        for p in trunk.parameters():
            p.requires_grad_(False)
        t0 = time.time()
        features = features or compute_features(trunk, data, val, guard)
        feats, val_feats = [features["train"], features["train_flip"]], features.get("val")
        if progress and rank == 0:
            progress(Progress("features", 1, 1, len(data) * 2, time.time() - t0, 0.0))
    else:
        model = net
    model.to(dev)
    loss_fn = build_loss(cfg.loss, net.embedding_size, data.num_classes, **cfg.loss_params).to(dev)

    sets = {"train": data, "val": val, "guard": guard}

    def embed_set(which: str, normalise: bool = True) -> np.ndarray:
        if frozen:
            f = {"train": feats[0], "val": val_feats, "guard": features.get("guard")}[which]
            return tail_embed(model, f, dev, normalise=normalise)
        return embed_crops(net.to(dev), sets[which].crops, dev, normalise=normalise)

    use_guard = guard is not None and len(np.unique(guard.labels)) > 1

    if cfg.init_head_from_centres and hasattr(loss_fn, "init_from_centres") and cfg.backbone == "sface":
        # softmax and center loss classify raw features; the cosine heads want directions
        e = torch.from_numpy(embed_set("train", normalise=cfg.loss not in ("softmax", "center")))
        lab = torch.from_numpy(data.labels)
        loss_fn.init_from_centres(torch.stack([e[lab == c].mean(0) for c in range(data.num_classes)]).to(dev))

    distill = cfg.distill if cfg.backbone == "sface" else 0.0  # from scratch there is nothing to keep
    joined: nn.Module = _LossModel(model, loss_fn, distill)
    if world > 1:
        joined = nn.parallel.DistributedDataParallel(joined, device_ids=[dev.index] if dev.type == "cuda" else None)
    base_params = [p.detach().clone() for p in model.parameters() if p.requires_grad] if cfg.l2sp else []
    base_emb = None
    if distill and frozen:
        base_emb = [torch.from_numpy(tail_embed(model, f, dev)) for f in feats]
    elif distill:
        base_net = copy.deepcopy(net).eval().to(dev)
    head_params = [p for p in loss_fn.parameters() if p.requires_grad]
    body_params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": body_params, "lr": cfg.lr}] + ([{"params": head_params, "lr": cfg.head_lr}] if head_params else [])
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    use_amp = cfg.amp and dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    result = TrainResult(net, loss_fn, device=str(dev), trainable_units=units if frozen else None)
    best_score, best_state, start_epoch, bad = -1.0, None, 0, 0
    base_state = copy.deepcopy(net.state_dict())  # WiSE-FT interpolates toward these weights
    alphas = sorted({float(a) for a in cfg.wise_alphas if 0 < a <= 1} | {1.0})
    use_guard = use_guard and val is not None and len(val) > 0  # the guard only steers the choice on val

    def score_now(keep_emb: list | None = None) -> dict:
        ev = embed_set("val")
        if keep_emb is not None:
            keep_emb.append(ev)
        # guard_score is None without guard people (`faceapp train --aligned`): every candidate has the key
        return {"val_score": val_score(ev, val.labels),
                "guard_score": guard_score(ev, val.labels, embed_set("guard"), guard.labels) if use_guard else None}

    base_val_emb: list = []
    guard_base = score_now(base_val_emb)["guard_score"] if use_guard else None
    guard_floor = guard_base - GUARD_TOLERANCE if use_guard else None
    # every candidate of the run ({'epoch', 'alpha', 'val_score', 'guard_score', 'distance', 'ok', 'emb'})
    # and the weights of each epoch that has one the guard lets through, for the final choice
    pool: list[dict] = []
    epoch_states: dict[int, dict] = {}
    ckpt = Path(cfg.out_dir) / "checkpoint.pt" if cfg.out_dir else None
    if ckpt and cfg.resume and ckpt.exists():
        state = torch.load(ckpt, map_location=dev, weights_only=False)
        net.load_state_dict(state["net"])
        loss_fn.load_state_dict(state["loss"])
        opt.load_state_dict(state["opt"])
        start_epoch, result.history = state["epoch"], state["history"]
        best_score, best_state, bad = state["best_score"], state["best_state"], state["bad"]
        result.best_epoch, result.best_alpha = state.get("best_epoch", 0), state.get("best_alpha", 1.0)
        pool, epoch_states = state.get("pool", []), state.get("epoch_states", {})
    if val is not None and len(val) and best_score < 0:
        best_score = val_score(base_val_emb[0] if base_val_emb else embed_set("val"), val.labels)
        result.history.append({"epoch": 0, "loss": None, "val_score": best_score, "seconds": 0.0,
                               **({"guard_score": guard_base} if use_guard else {})})
        best_state = copy.deepcopy(net.state_dict())
        pool.append({"epoch": 0, "alpha": 0.0, "val_score": best_score, "guard_score": guard_base, "distance": 0.0,
                     "ok": True, "emb": base_val_emb[0] if base_val_emb else embed_set("val")})
    if start_epoch == 0 and head_params and cfg.head_warmup > 0:
        _warm_head(cfg, data, model, loss_fn, head_params, feats if frozen else None, dev, result, rank, world,
                   progress)
    t_start = time.time()
    for epoch in range(start_epoch, cfg.epochs):
        rng = np.random.default_rng(cfg.seed + epoch)
        sampler = make_sampler(cfg, data, joined, feats if frozen else None, dev, cfg.seed + epoch)
        batches = list(sampler)
        batches = rank_share(batches, rank, world)
        joined.train()
        if cfg.freeze_bn:
            _freeze_bn(joined)
        losses, t0 = [], time.time()
        for step, idx in enumerate(batches, 1):
            if frozen:
                copy_of = rng.integers(0, 2, len(idx)) if cfg.augment else np.zeros(len(idx), int)
                x = torch.from_numpy(np.stack([feats[c][i] for c, i in zip(copy_of, idx, strict=False)])).to(dev).float()
            else:
                x = to_tensor(data.crops[idx], dev)
                x = augment(x) if cfg.augment else x
            y = torch.from_numpy(data.labels[idx]).to(dev)
            with torch.autocast(dev.type, enabled=use_amp):
                ref = None
                if base_emb is not None:
                    ref = torch.stack([base_emb[c][i] for c, i in zip(copy_of, idx, strict=True)]).to(dev)
                elif distill:
                    with torch.no_grad():
                        ref = F.normalize(base_net(x).float(), dim=1)
                loss = joined(x, y, ref)
                if base_params:
                    trainable = [p for p in model.parameters() if p.requires_grad]
                    loss = loss + cfg.l2sp * sum(((p - p0) ** 2).sum() for p, p0 in zip(trainable, base_params))
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(float(loss.detach()))
            if progress and rank == 0:
                progress(Progress(f"epoch {epoch + 1}/{cfg.epochs}", step, len(batches), len(idx) * step,
                                  time.time() - t0, float(np.mean(losses[-20:]))))
        rec = {"epoch": epoch + 1, "loss": float(np.mean(losses)) if losses else None, "seconds": time.time() - t0}
        stop = False
        if val is not None and len(val):
            tuned = copy.deepcopy(net.state_dict())
            dist_e = distance(base_state, tuned)
            cands = []
            for a in alphas:  # WiSE-FT: this epoch's weights and their blends with the base model
                net.load_state_dict(tuned if a == 1 else interpolate(base_state, tuned, a))
                embs: list = []
                cands.append({"alpha": a, **score_now(embs)})
                pool.append({"epoch": epoch + 1, **cands[-1], "distance": a * dist_e, "emb": embs[0],
                             "ok": guard_floor is None or cands[-1]["guard_score"] >= guard_floor})
            net.load_state_dict(tuned)
            if any(c["ok"] for c in pool if c["epoch"] == epoch + 1):
                epoch_states[epoch + 1] = changed(base_state, tuned)  # a delta: checkpoints stay small
            rec.update({k: v for k, v in cands[-1].items() if k != "alpha"})  # the epoch's own weights
            if len(cands) > 1:
                rec["wise"] = cands
            pick = choose(cands, best_score, guard_floor)  # early stopping: did the best move on?
            if pick is not None:
                best_score, bad = pick["val_score"], 0
                best_state = tuned if pick["alpha"] == 1 else interpolate(base_state, tuned, pick["alpha"])
                result.best_epoch, result.best_alpha = epoch + 1, pick["alpha"]
            else:
                bad += 1
                stop = bad >= cfg.patience
        result.history.append(rec)
        if ckpt and rank == 0:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"net": net.state_dict(), "loss": loss_fn.state_dict(), "opt": opt.state_dict(),
                        "epoch": epoch + 1, "history": result.history, "best_score": best_score,
                        "best_state": best_state, "bad": bad, "best_epoch": result.best_epoch,
                        "best_alpha": result.best_alpha, "pool": pool, "epoch_states": epoch_states,
                        "config": cfg.to_dict()}, ckpt)
        if stop:
            result.stopped_early = True
            break
    if len(pool) > 1 and cfg.select_se > 0:  # the one-SE rule over the whole run (see the module's docstring)
        cache: dict[int, float] = {}

        def se(c: dict, best: dict) -> float:
            if id(c) not in cache:
                cache[id(c)] = score_diff_se(best["emb"], c["emb"], val.labels, seed=cfg.seed)
            return cache[id(c)]

        best = best_of(pool)
        kept = within_noise(pool, cfg.select_se, se)
        result.best_epoch, result.best_alpha = kept["epoch"], kept["alpha"]
        best_state = (copy.deepcopy(base_state) if kept["epoch"] == 0 else
                      interpolate(base_state, restore(base_state, epoch_states[kept["epoch"]]), kept["alpha"]))
        result.selection = {"best": {k: best[k] for k in ("epoch", "alpha", "val_score", "guard_score")},
                            "kept": {k: kept[k] for k in ("epoch", "alpha", "val_score", "guard_score")},
                            "se": se(kept, best) if kept is not best else None, "n_se": cfg.select_se}
    if best_state is not None:
        net.load_state_dict(best_state)
    else:
        result.best_epoch = len(result.history)
    result.seconds = time.time() - t_start
    result.net = net.cpu().eval()
    return result
