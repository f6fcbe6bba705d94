"""Softmax (a linear classifier + cross-entropy) and its normalised variant, the baseline.

Softmax: L = −log( exp(W_y·x + b_y) / Σ_j exp(W_j·x + b_j) ).

NormFace / L2-softmax (Wang et al., "NormFace: L2 Hypersphere Embedding for Face Verification",
ACM MM 2017; Ranjan et al., "L2-constrained Softmax Loss", arXiv:1703.09507):
L = −log( exp(s·cos θ_y) / Σ_j exp(s·cos θ_j) ), weights and features L2-normalised, no bias.
Default s = 64 (the scale ArcFace/CosFace use, so that their m = 0 case is exactly this loss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainer.losses.base import MarginLoss, upcast


class SoftmaxLoss(nn.Module):
    def __init__(self, embedding_size: int, num_classes: int) -> None:
        super().__init__()
        self.fc = nn.Linear(embedding_size, num_classes)

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.fc(upcast(embeddings)), labels)

    @torch.no_grad()
    def init_from_centres(self, centres: torch.Tensor) -> None:
        self.fc.weight.copy_(centres.to(self.fc.weight))
        self.fc.bias.copy_(-0.5 * (centres.to(self.fc.weight) ** 2).sum(1))  # nearest-centre classifier


class NormSoftmaxLoss(MarginLoss):
    def __init__(self, embedding_size: int, num_classes: int, s: float = 64.0) -> None:
        super().__init__(embedding_size, num_classes)
        self.s = s

    def logits(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.s * cos
