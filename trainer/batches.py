"""What a training step feeds the network: the network split as this run trains it, the one batch
builder (head warm-up and epochs alike) and distillation's reference embeddings."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from faceapp.progress import Progress, ProgressFn
from trainer.augment import augment, to_tensor
from trainer.backbones import build_backbone
from trainer.config import TrainConfig
from trainer.data.faceset import FaceSet
from trainer.features import compute_features, embed_crops, tail_embed


@dataclass
class Net:
    """The network as this run trains it: on CPU a frozen trunk, whose outputs for every face (and
    for its mirror image) are computed once, and a trainable tail (`model`); elsewhere all of it."""

    net: nn.Module
    model: nn.Module
    dev: torch.device
    units: int | None = None  # trainable units when the trunk is frozen
    features: dict = field(default_factory=dict)  # 'train', 'train_flip', 'val', 'guard', 'anchors' trunk outputs
    sets: dict = field(default_factory=dict)  # 'train', 'val', 'guard', 'anchors' FaceSets (crops when nothing is frozen)

    @property
    def feats(self) -> list | None:
        """The training faces' trunk features, [as they are, mirrored]; None when nothing is frozen."""
        return [self.features["train"], self.features["train_flip"]] if self.units is not None else None

    def embed(self, which: str, normalise: bool = True) -> np.ndarray:
        if self.units is not None:
            return tail_embed(self.model, self.features.get(which), self.dev, normalise=normalise)
        return embed_crops(self.net.to(self.dev), self.sets[which].crops, self.dev, normalise=normalise)


def build_net(cfg: TrainConfig, dev: torch.device, sets: dict, features: dict | None,
               report: ProgressFn | None) -> Net:
    net = build_backbone(cfg.backbone, weights=cfg.base_model)
    units = cfg.trainable_units
    if units is None and dev.type == "cpu" and hasattr(net, "split"):
        units = 2
    if units is None or not hasattr(net, "split"):
        return Net(net, net.to(dev), dev, sets=sets)
    trunk, model = net.split(units)
    for p in trunk.parameters():
        p.requires_grad_(False)
    t0 = time.time()
    features = features or compute_features(trunk, sets["train"], sets["val"], sets["guard"], sets.get("anchors"))
    if report:
        report(Progress("features", 1, 1, f"{len(sets['train']) * 2} crops in {time.time() - t0:.0f} s"))
    return Net(net, model.to(dev), dev, units, features, sets)


@dataclass
class Batches:
    """The one batch builder, for the head warm-up and the epochs alike: a step's inputs from face
    indices. With a frozen trunk, each face's cached features or (the augmentation) its mirror
    image's; otherwise the crops, augmented on the fly. `copy_of` says which copy each face is
    (distillation's reference follows it)."""

    data: FaceSet
    feats: list | None
    dev: torch.device
    augment: bool

    def inputs(self, idx: np.ndarray, rng: np.random.Generator) -> tuple[torch.Tensor, np.ndarray | None]:
        if self.feats is not None:
            copy_of = rng.integers(0, 2, len(idx)) if self.augment else np.zeros(len(idx), int)
            x = torch.from_numpy(np.stack([self.feats[c][i] for c, i in zip(copy_of, idx, strict=True)]))
            return x.to(self.dev).float(), copy_of
        x = to_tensor(self.data.crops[idx], self.dev)
        return (augment(x) if self.augment else x), None

    def labels(self, idx: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.data.labels[idx]).to(self.dev)


class Reference:
    """Distillation's targets: the base model's embedding direction of each face of a batch."""

    def __init__(self, run: Net, distill: float) -> None:
        self.base_emb = self.base_net = None
        if distill and run.feats is not None:
            self.base_emb = [torch.from_numpy(tail_embed(run.model, f, run.dev)) for f in run.feats]
        elif distill:
            self.base_net = copy.deepcopy(run.net).eval().to(run.dev)

    def __call__(self, x: torch.Tensor, copy_of: np.ndarray | None, idx: np.ndarray) -> torch.Tensor | None:
        if self.base_emb is not None:
            return torch.stack([self.base_emb[c][i] for c, i in zip(copy_of, idx, strict=True)]).to(x.device)
        if self.base_net is not None:
            with torch.no_grad():
                return F.normalize(self.base_net(x).float(), dim=1)
        return None


class Anchors:
    """The library's faces nobody labeled, as distillation anchors: each step also pulls a batch of
    them toward the base model's directions, so that what the fine-tune learns about the named
    people costs little on the faces of everyone else in this library (strangers included)."""

    def __init__(self, run: Net, crops: np.ndarray | None, batch: int) -> None:
        self.run, self.batch, self.n = run, batch, 0 if crops is None else len(crops)
        self.crops, self.base = crops, None
        if self.n == 0:
            return
        if run.units is not None:
            self.base = torch.from_numpy(tail_embed(run.model, run.features["anchors"], run.dev))
        else:
            self.base = torch.from_numpy(embed_crops(run.net, crops, run.dev))

    def __call__(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(inputs, the base model's unit embeddings) of a random batch of anchors; None without any."""
        if self.n == 0:
            return None
        idx = rng.choice(self.n, min(self.batch, self.n), replace=False)
        if self.run.units is not None:
            x = torch.from_numpy(self.run.features["anchors"][idx]).float()
        else:
            x = to_tensor(self.crops[idx], self.run.dev)
        return x.to(self.run.dev), self.base[idx].to(self.run.dev)
