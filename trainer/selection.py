"""Which weights a fine-tune keeps: WiSE-FT blends with the base model (Wortsman et al. 2022) and
the rules that pick among the candidates of a run (see trainer.engine's docstring for why)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch


@dataclass(eq=False)  # compared by identity: the rules below answer with one of the candidates given
class Candidate:
    """One set of weights a run could keep: epoch `epoch`'s weights blended with the base model at
    WiSE-FT weight `alpha` (epoch 0 / alpha 0: the base model itself)."""

    epoch: int = 0
    alpha: float = 1.0
    val_score: float = 0.0
    guard_score: float | None = None  # None without guard people (`faceapp train --aligned`)
    distance: float = 0.0  # weight-space distance from the base model
    ok: bool = True  # the guard people's score holds
    emb: np.ndarray | None = field(default=None, repr=False)  # its validation embeddings, for the standard error

    def summary(self, *keys: str) -> dict:
        """The candidate as the report shows it (by default epoch, alpha and both scores)."""
        return {k: getattr(self, k) for k in keys or ("epoch", "alpha", "val_score", "guard_score")}


def interpolate(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """WiSE-FT: state dict (1−α)·base + α·tuned for floating tensors (exactly `base` at α = 0 and
    `tuned` at α = 1); integer buffers (BatchNorm's batch counters) come from `tuned`."""
    out = {}
    for k, t in tuned.items():
        b = base[k]
        if not t.is_floating_point() or alpha == 1:
            out[k] = t.detach().clone()
        elif alpha == 0:
            out[k] = b.detach().clone().to(t)
        else:
            out[k] = torch.lerp(b.to(t), t, alpha)
    return out


def choose(candidates: list[Candidate], best_score: float, guard_floor: float | None) -> Candidate | None:
    """The candidate with the highest validation score above
    best_score (by more than 1e-4) whose guard score is at least guard_floor (None: no guard);
    ties go to the smaller α (closer to the base model). None when no candidate qualifies."""
    ok = [c for c in candidates if c.val_score > best_score + 1e-4
          and (guard_floor is None or c.guard_score >= guard_floor)]
    return max(ok, key=lambda c: (c.val_score, -c.alpha)) if ok else None


def best_of(candidates: list[Candidate]) -> Candidate | None:
    """The ok candidate with the highest validation score (nearer the base model on ties); None if none."""
    ok = [c for c in candidates if c.ok]
    return max(ok, key=lambda c: (c.val_score, -c.distance)) if ok else None


def within_noise(candidates: list[Candidate], n_se: float,
                 se: Callable[[Candidate, Candidate], float]) -> Candidate | None:
    """The one-standard-error rule toward the base model. Returns the
    candidate nearest the base model (then the higher score) among the ok ones whose validation score
    is at least best − n_se · se(candidate, best), best being the ok candidate with the highest score
    (nearer the base on ties); None when none is ok. se is only asked about candidates nearer than the
    best, nearest first, and no further once one qualifies."""
    best = best_of(candidates)
    if best is None:
        return None
    ok = [c for c in candidates if c.ok]
    if n_se <= 0:
        return best
    for c in sorted(ok, key=lambda c: (c.distance, -c.val_score)):
        if c is best or c.distance >= best.distance:
            return best
        if c.val_score >= best.val_score - n_se * se(c, best):
            return c
    return best


def distance(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor]) -> float:
    """L2 distance between two state dicts over their floating tensors."""
    return float(sum(((t.detach().float().cpu() - base[k].float().cpu()) ** 2).sum() for k, t in tuned.items()
                     if t.is_floating_point()) ** 0.5)


def changed(base: dict[str, torch.Tensor], tuned: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The entries of `tuned` that differ from `base`: what an epoch's weights add to the base model.
    On CPU only the last units train, so this is a few MB where the whole state is ~40 MB."""
    return {k: t.detach().clone() for k, t in tuned.items()
            if k not in base or t.shape != base[k].shape or not torch.equal(t, base[k].to(t.device))}


def restore(base: dict[str, torch.Tensor], delta: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A full state dict from the base model and a `changed` delta."""
    return {**base, **delta}
