"""Center loss (Wen et al., "A Discriminative Feature Learning Approach for Deep Face
Recognition", ECCV 2016).

L = L_softmax + λ·L_C, L_C = ½·(1/B)·Σ_i ‖x_i − c_{y_i}‖² on the raw (un-normalised) features.
The centres are not trained by the optimiser: after each training batch, as in the paper,
Δc_j = Σ_{i: y_i=j} (c_j − x_i) / (1 + n_j) and c_j ← c_j − α·Δc_j.
Defaults λ = 0.003, α = 0.5 (the paper's face-recognition setting).
"""

from __future__ import annotations

import torch
from torch import nn

from trainer.losses.base import upcast
from trainer.losses.softmax import SoftmaxLoss


class CenterLoss(nn.Module):
    def __init__(self, embedding_size: int, num_classes: int, lam: float = 0.003, alpha: float = 0.5) -> None:
        super().__init__()
        self.lam, self.alpha = lam, alpha
        self.softmax = SoftmaxLoss(embedding_size, num_classes)
        self.register_buffer("centres", torch.zeros(num_classes, embedding_size))

    def centre_term(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((x - self.centres[labels]) ** 2).sum(1).mean()

    @torch.no_grad()
    def update_centres(self, x: torch.Tensor, labels: torch.Tensor) -> None:
        diff = torch.zeros_like(self.centres)
        diff.index_add_(0, labels, self.centres[labels] - x)
        counts = torch.bincount(labels, minlength=len(self.centres)).to(x.dtype)
        self.centres -= self.alpha * diff / (1.0 + counts)[:, None]

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = upcast(embeddings)
        loss = self.softmax(x, labels) + self.lam * self.centre_term(x, labels)
        if self.training:
            self.update_centres(x.detach(), labels)
        return loss

    @torch.no_grad()
    def init_from_centres(self, centres: torch.Tensor) -> None:
        self.centres.copy_(centres.to(self.centres))
        self.softmax.init_from_centres(centres)
