"""Contrastive loss (Hadsell, Chopra & LeCun, "Dimensionality Reduction by Learning an Invariant
Mapping", CVPR 2006).

With D the Euclidean distance of L2-normalised embeddings, similar pairs cost ½·D² and dissimilar
pairs ½·max(0, m − D)²; pairs are every pair formed inside the batch (miners.all_pairs). The loss
is the mean over pairs of each kind, summed (so the few positives are not drowned by the many
negatives). Default m = 1.0. A batch with no pair gives 0 (with a graph), not NaN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainer.losses.base import upcast, zero_loss
from trainer.miners import all_pairs


class ContrastiveLoss(nn.Module):
    def __init__(self, embedding_size: int = 0, num_classes: int = 0, m: float = 1.0) -> None:
        super().__init__()
        self.m = m

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = F.normalize(upcast(embeddings), dim=1)
        a1, p, a2, n = all_pairs(labels)
        loss = zero_loss(embeddings)
        if len(a1):
            loss = loss + 0.5 * ((x[a1] - x[p]) ** 2).sum(1).mean()
        if len(a2):
            dn = ((x[a2] - x[n]) ** 2).sum(1).clamp_min(1e-12).sqrt()
            loss = loss + 0.5 * (F.relu(self.m - dn) ** 2).mean()
        return loss
