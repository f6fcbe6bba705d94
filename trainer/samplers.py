"""Batch samplers: P people × K faces per batch (so every batch has positives for pair and triplet
losses), plain shuffled batches for classification losses, and offline-mined triplet batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from trainer.config import TrainConfig
from trainer.data.faceset import FaceSet
from trainer.features import embed_crops, tail_embed
from trainer.losses import PAIR_LOSSES


class PKSampler:
    """Each batch: P distinct people, K faces of each (drawn with replacement where a person has
    fewer than K). An epoch is about one pass over the faces."""

    def __init__(self, labels: np.ndarray, p: int = 16, k: int = 4, batches: int | None = None, seed: int = 0) -> None:
        self.labels = np.asarray(labels)
        self.by_class = [np.flatnonzero(self.labels == c) for c in np.unique(self.labels)]
        self.by_class = [ix for ix in self.by_class if len(ix)]
        self.p, self.k = min(p, len(self.by_class)), k
        self.batches = batches or max(1, len(self.labels) // (self.p * self.k))
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[np.ndarray]:
        for _ in range(self.batches):
            people = self.rng.choice(len(self.by_class), self.p, replace=False)
            yield np.concatenate([
                self.rng.choice(self.by_class[c], self.k, replace=len(self.by_class[c]) < self.k) for c in people
            ])


class ShuffleSampler:
    """Shuffled batches covering every face once per epoch (the last short batch is dropped when
    there is more than one batch, so BatchNorm never sees a batch of one)."""

    def __init__(self, n: int, batch_size: int, seed: int = 0) -> None:
        self.n, self.batch_size = n, batch_size
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return max(1, self.n // self.batch_size)

    def __iter__(self) -> Iterator[np.ndarray]:
        order = self.rng.permutation(self.n)
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]


class TripletBatches:
    """Offline-mined triplets laid out a, p, n, a, p, n … (TripletLoss(miner='ordered'))."""

    def __init__(self, triplets: np.ndarray, per_batch: int = 21, seed: int = 0) -> None:
        self.triplets = np.asarray(triplets).reshape(-1, 3)
        self.per_batch = per_batch
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return max(1, len(self.triplets) // self.per_batch)

    def __iter__(self) -> Iterator[np.ndarray]:
        order = self.rng.permutation(len(self.triplets))
        for i in range(len(self)):
            yield self.triplets[order[i * self.per_batch : (i + 1) * self.per_batch]].reshape(-1)


def make_sampler(cfg: TrainConfig, data: FaceSet, joined: nn.Module, feats: list | None, dev: torch.device,
                 seed: int):  # noqa: ANN201
    """The batches of one epoch: offline-mined triplets, P×K for pair losses, else shuffled."""
    if cfg.loss == "triplet" and cfg.offline_mining:
        from trainer.miners import offline_triplets

        sub = np.random.default_rng(seed).permutation(len(data))[:1024]
        model = joined.module.model if hasattr(joined, "module") else joined.model
        emb = (tail_embed(model, feats[0][sub], dev) if feats is not None
               else embed_crops(model, data.crops[sub], dev))
        a, p, n = offline_triplets(torch.from_numpy(emb), torch.from_numpy(data.labels[sub]),
                                   cfg.loss_params.get("margin", 0.2), seed=seed)
        trip = np.stack([sub[a.numpy()], sub[p.numpy()], sub[n.numpy()]], 1)
        return TripletBatches(trip, max(1, cfg.batch_size // 3), seed)
    if cfg.loss in PAIR_LOSSES:
        return PKSampler(data.labels, cfg.p, cfg.k, seed=seed)
    return ShuffleSampler(len(data), cfg.batch_size, seed)
