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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from faceapp.progress import Progress, ProgressFn, StopFn
from trainer.batches import Anchors, Batches, Net, Reference, build_net
from trainer.checkpoint import RunState
from trainer.config import TrainConfig
from trainer.data.faceset import FaceSet
from trainer.losses import build_loss
from trainer.progress import print_progress
from trainer.samplers import ShuffleSampler, make_sampler
from trainer.selection import Candidate, best_of, changed, choose, distance, interpolate, restore, within_noise
from trainer.validation import GUARD_TOLERANCE, guard_diff_se, guard_loo, guard_score, score_diff_se, val_score


class TrainingCancelled(RuntimeError):
    """The caller's stop() said so between two steps."""


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

    def __init__(self, model: nn.Module, loss_fn: nn.Module, distill: float = 0.0, anchor_distill: float = 0.0) -> None:
        super().__init__()
        self.model, self.loss_fn, self.distill, self.anchor_distill = model, loss_fn, distill, anchor_distill

    def forward(self, x: torch.Tensor, y: torch.Tensor, ref: torch.Tensor | None = None,
                anchors: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        emb = self.model(x)
        loss = self.loss_fn(emb, y)
        if ref is not None:  # stay near the base model's directions (Learning without Forgetting)
            loss = loss + self.distill * _drift(emb, ref)
        if anchors is not None:  # and so do the library's unlabeled faces
            loss = loss + self.anchor_distill * _drift(self.model(anchors[0]), anchors[1])
        return loss


def _drift(emb: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """mean(1 − cos(emb, ref)), ref unit vectors."""
    return (1 - (F.normalize(emb.float(), dim=1) * ref).sum(1)).mean()


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


@dataclass
class _Judge:
    """Scores a candidate on the validation faces and the guard people (guard_score is None without them)."""

    run: Net
    val: FaceSet | None
    guard: FaceSet | None
    guard_se: float = 0.0  # a candidate's guard score may fall this many standard errors below the base's
    base: tuple | None = None  # the base model's (validation, guard) embeddings, set by the first score
    base_loo: np.ndarray | None = None  # the base model's leave-one-out guard scores, computed once

    @property
    def active(self) -> bool:
        return self.val is not None and len(self.val) > 0

    @property
    def use_guard(self) -> bool:  # the guard only steers the choice on val
        return self.active and self.guard is not None and len(np.unique(self.guard.labels)) > 1

    def score(self, epoch: int, alpha: float, dist_: float, floor: float | None) -> Candidate:
        ev = self.run.embed("val")
        eg = self.run.embed("guard") if self.use_guard else None
        g = guard_score(ev, self.val.labels, eg, self.guard.labels) if self.use_guard else None
        if self.base is None:
            self.base = (ev, eg)
        ok = floor is None or g >= floor
        if not ok and self.guard_se > 0:  # a loss within the guard score's own noise is no loss shown
            if self.base_loo is None:
                self.base_loo = guard_loo(*self.base, self.val.labels, self.guard.labels)
            se = guard_diff_se(ev, eg, *self.base, self.val.labels, self.guard.labels, self.base_loo)
            ok = g >= floor - self.guard_se * se
        return Candidate(epoch, alpha, val_score(ev, self.val.labels), g, dist_, ok, ev)


def _start(cfg: TrainConfig) -> tuple[torch.device, int, int]:
    """(device, rank, world size); joins the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    dev = resolve_device(cfg.device)
    if world > 1 and not dist.is_initialized():  # NCCL only for CUDA tensors: a CPU run on a GPU machine is gloo
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    rank = dist.get_rank() if world > 1 else 0
    torch.manual_seed(cfg.seed)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    return dev, rank, world


def _init_head(cfg: TrainConfig, run: Net, loss_fn: nn.Module, data: FaceSet) -> None:
    """Class weights start at each person's mean embedding (softmax and center loss classify raw
    features; the cosine heads want directions)."""
    if cfg.init_head_from_centres and hasattr(loss_fn, "init_from_centres") and cfg.backbone == "sface":
        e = torch.from_numpy(run.embed("train", normalise=cfg.loss not in ("softmax", "center")))
        lab = torch.from_numpy(data.labels)
        loss_fn.init_from_centres(torch.stack([e[lab == c].mean(0) for c in range(data.num_classes)]).to(run.dev))


def _warm_head(cfg: TrainConfig, run: Net, batches: Batches, loss_fn: nn.Module, head_params: list,
               state: RunState, rank: int, world: int, report: ProgressFn | None, stop: StopFn | None) -> None:
    """LP-FT's linear probe: cfg.head_warmup epochs in which only the loss's class weights learn,
    on the (unchanging) embeddings of the model as it is; recorded in the history as 'warmup'."""
    opt = torch.optim.AdamW(head_params, lr=cfg.head_lr, weight_decay=cfg.weight_decay)
    run.model.eval()
    loss_fn.train()
    for w in range(cfg.head_warmup):
        rng = np.random.default_rng(cfg.seed + 10_000 + w)
        order = rank_share(list(ShuffleSampler(len(batches.data), cfg.batch_size, cfg.seed + 10_000 + w)), rank, world)
        losses, t0 = [], time.time()
        for step, idx in enumerate(order, 1):
            _check(stop)
            with torch.no_grad():
                emb = run.model(batches.inputs(idx, rng)[0])
            loss = loss_fn(emb.float(), batches.labels(idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if world > 1:  # keep the ranks' class weights identical without DDP
                for p in head_params:
                    if p.grad is not None:
                        dist.all_reduce(p.grad)
                        p.grad /= world
            opt.step()
            losses.append(float(loss.detach()))
            _say(report, f"head warm-up {w + 1}/{cfg.head_warmup}", step, len(order), len(idx), t0, losses)
        state.history.append({"epoch": 0, "warmup": w + 1, "loss": float(np.mean(losses)) if losses else None,
                              "seconds": time.time() - t0})


def _check(stop: StopFn | None) -> None:
    if stop is not None and stop():
        raise TrainingCancelled("training cancelled")


def _say(report: ProgressFn | None, stage: str, step: int, steps: int, batch: int, t0: float,
         losses: list[float]) -> None:
    """A training step's progress: its loss (mean of the last 20 steps) and images per second."""
    if report:
        rate = batch * step / max(time.time() - t0, 1e-9)
        report(Progress(stage, step, steps, f"loss {float(np.mean(losses[-20:])):.4f}  {rate:.0f} img/s"))


def _judge_epoch(cfg: TrainConfig, judge: _Judge, state: RunState, epoch: int, base_state: dict,
                 floor: float | None, rec: dict) -> bool:
    """Score this epoch's weights and their WiSE-FT blends with the base model (each a candidate of
    the pool), record them in `rec`, move early stopping's best on; True when patience ran out."""
    net = judge.run.net
    tuned = copy.deepcopy(net.state_dict())
    dist_e = distance(base_state, tuned)
    cands = []
    for a in sorted({float(a) for a in cfg.wise_alphas if 0 < a <= 1} | {1.0}):
        net.load_state_dict(tuned if a == 1 else interpolate(base_state, tuned, a))
        cands.append(judge.score(epoch, a, a * dist_e, floor))
    net.load_state_dict(tuned)
    state.pool += cands
    if any(c.ok for c in cands):
        state.epoch_states[epoch] = changed(base_state, tuned)  # a delta: checkpoints stay small
    rec.update(cands[-1].summary("val_score", "guard_score"))  # the epoch's own weights
    if len(cands) > 1:
        rec["wise"] = [c.summary("alpha", "val_score", "guard_score") for c in cands]
    pick = choose(cands, state.best_score, floor)  # early stopping: did the best move on?
    if pick is None:
        state.bad += 1
        return state.bad >= cfg.patience
    state.best_score, state.bad = pick.val_score, 0
    state.best_state = tuned if pick.alpha == 1 else interpolate(base_state, tuned, pick.alpha)
    state.best_epoch, state.best_alpha = epoch, pick.alpha
    return False


def _final_choice(cfg: TrainConfig, state: RunState, base_state: dict, val_labels: np.ndarray) -> dict:
    """The one-SE rule over the whole run (see the module's docstring): sets what state keeps and
    returns the selection for the report ({} when the rule is off or there is nothing to choose)."""
    if len(state.pool) < 2 or cfg.select_se <= 0:
        return {}
    cache: dict[int, float] = {}

    def se(c: Candidate, best: Candidate) -> float:
        if id(c) not in cache:
            cache[id(c)] = score_diff_se(best.emb, c.emb, val_labels, seed=cfg.seed)
        return cache[id(c)]

    best = best_of(state.pool)
    kept = within_noise(state.pool, cfg.select_se, se)
    state.best_epoch, state.best_alpha = kept.epoch, kept.alpha
    state.best_state = (copy.deepcopy(base_state) if kept.epoch == 0 else
                        interpolate(base_state, restore(base_state, state.epoch_states[kept.epoch]), kept.alpha))
    return {"best": best.summary(), "kept": kept.summary(), "se": se(kept, best) if kept is not best else None,
            "n_se": cfg.select_se}


def train(cfg: TrainConfig, data: FaceSet, val: FaceSet | None = None, progress: ProgressFn | None = print_progress,
          features: dict[str, np.ndarray] | None = None, guard: FaceSet | None = None,
          stop: StopFn | None = None, anchors: np.ndarray | None = None) -> TrainResult:
    """Train on `data` (labels 0..C−1); early-stop on `val` (same people, other faces) if given.

    `features` may hold the frozen trunk's outputs already computed ('train', 'train_flip', 'val'),
    as the loss benchmark does to share them across losses; they must match `trainable_units`.
    `guard` holds faces of people the training never sees: a candidate (an epoch's weights or a
    WiSE-FT blend of them with the base model) only counts as better if their score
    (validation.guard_score) stays within GUARD_TOLERANCE of the base model's, so strangers are never
    traded for family. result.best_alpha says which blend was kept. `stop()` true between two steps
    raises TrainingCancelled. `anchors` (crops of the library's faces nobody labeled) are pulled toward
    the base model's directions at each step with weight cfg.anchor_distill."""
    dev, rank, world = _start(cfg)
    report = progress if rank == 0 else None
    use_anchors = anchors is not None and len(anchors) > 0 and cfg.anchor_distill > 0 and cfg.backbone == "sface"
    anchor_set = FaceSet(anchors, np.zeros(len(anchors), np.int64), ["anchor"]) if use_anchors else None
    run = build_net(cfg, dev, {"train": data, "val": val, "guard": guard, "anchors": anchor_set}, features, report)
    net, model = run.net, run.model
    loss_fn = build_loss(cfg.loss, net.embedding_size, data.num_classes, **cfg.loss_params).to(dev)
    _init_head(cfg, run, loss_fn, data)
    distill = cfg.distill if cfg.backbone == "sface" else 0.0  # from scratch there is nothing to keep
    joined: nn.Module = _LossModel(model, loss_fn, distill, cfg.anchor_distill if use_anchors else 0.0)
    if world > 1:
        joined = nn.parallel.DistributedDataParallel(joined, device_ids=[dev.index] if dev.type == "cuda" else None)
    base_params = [p.detach().clone() for p in model.parameters() if p.requires_grad] if cfg.l2sp else []
    reference, batches = Reference(run, distill), Batches(data, run.feats, dev, cfg.augment)
    anchor_batch = Anchors(run, anchors if use_anchors else None, cfg.batch_size)
    head_params = [p for p in loss_fn.parameters() if p.requires_grad]
    body_params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": body_params, "lr": cfg.lr}] + ([{"params": head_params, "lr": cfg.head_lr}] if head_params else [])
    opt = torch.optim.AdamW(groups, weight_decay=cfg.weight_decay)
    use_amp = cfg.amp and dev.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    base_state = copy.deepcopy(net.state_dict())  # WiSE-FT interpolates toward these weights
    judge = _Judge(run, val, guard, cfg.guard_se)
    base = judge.score(0, 0.0, 0.0, None) if judge.active else None
    floor = base.guard_score - GUARD_TOLERANCE if judge.use_guard else None
    ckpt = Path(cfg.out_dir) / "checkpoint.pt" if cfg.out_dir else None
    state = RunState.load(ckpt, dev, net, loss_fn, opt) if ckpt and cfg.resume and ckpt.exists() else RunState()
    if base is not None and state.best_score < 0:  # the base model is the first candidate
        state.best_score, state.best_state = base.val_score, copy.deepcopy(net.state_dict())
        state.history.append({"epoch": 0, "loss": None, "val_score": base.val_score, "seconds": 0.0,
                              **({"guard_score": base.guard_score} if judge.use_guard else {})})
        state.pool.append(base)
    if state.epoch == 0 and head_params and cfg.head_warmup > 0:
        _warm_head(cfg, run, batches, loss_fn, head_params, state, rank, world, report, stop)
    result = TrainResult(net, loss_fn, state.history, device=str(dev), trainable_units=run.units)
    t_start = time.time()
    for epoch in range(state.epoch + 1, cfg.epochs + 1):
        rng = np.random.default_rng(cfg.seed + epoch - 1)
        order = rank_share(list(make_sampler(cfg, data, joined, run.feats, dev, cfg.seed + epoch - 1)), rank, world)
        joined.train()
        if cfg.freeze_bn:
            _freeze_bn(joined)
        losses, t0 = [], time.time()
        for step, idx in enumerate(order, 1):
            _check(stop)
            x, copy_of = batches.inputs(idx, rng)
            with torch.autocast(dev.type, enabled=use_amp):
                loss = joined(x, batches.labels(idx), reference(x, copy_of, idx), anchor_batch(rng))
                if base_params:
                    trainable = [p for p in model.parameters() if p.requires_grad]
                    loss = loss + cfg.l2sp * sum(((p - p0) ** 2).sum() for p, p0 in zip(trainable, base_params))
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(float(loss.detach()))
            _say(report, f"epoch {epoch}/{cfg.epochs}", step, len(order), len(idx), t0, losses)
        rec = {"epoch": epoch, "loss": float(np.mean(losses)) if losses else None, "seconds": time.time() - t0}
        out_of_patience = judge.active and _judge_epoch(cfg, judge, state, epoch, base_state, floor, rec)
        state.history.append(rec)
        state.epoch = epoch
        if ckpt and rank == 0:
            state.save(ckpt, net, loss_fn, opt, cfg)
        if out_of_patience:
            result.stopped_early = True
            break
    result.selection = _final_choice(cfg, state, base_state, val.labels) if judge.active else {}
    if state.best_state is not None:
        net.load_state_dict(state.best_state)
        result.best_epoch, result.best_alpha = state.best_epoch, state.best_alpha
    else:
        result.best_epoch = len(state.history)
    result.seconds = time.time() - t_start
    result.net = net.cpu().eval()
    return result
