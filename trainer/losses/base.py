"""Shared pieces of the losses: the normalised classifier head and the 'zero, not NaN' helper.

Following insightface's arcface_torch, a margin loss is a normalised linear head (cos θ between the
L2-normalised embedding and class weight) plus a pure logits→logits margin transform; the
classification losses own their class weights so `forward(embeddings, labels)` is the whole contract.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def upcast(x: torch.Tensor) -> torch.Tensor:
    """Half-precision embeddings (under autocast) to float32; float32/float64 stay as they are."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def zero_loss(embeddings: torch.Tensor) -> torch.Tensor:
    """A zero that keeps the graph (so backward works) when a batch has no valid pair or triplet."""
    return embeddings.sum() * 0.0


class CosineHead(nn.Module):
    """cos θ_j = ŵ_j · x̂ for every class j; weights initialised N(0, 0.01) or from class centres."""

    def __init__(self, embedding_size: int, num_classes: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, embedding_size) * 0.01)

    def cosine(self, embeddings: torch.Tensor) -> torch.Tensor:
        x = upcast(embeddings)
        with torch.autocast(x.device.type, enabled=False):  # margins and scales want float32 cosines
            return F.linear(F.normalize(x, dim=1), F.normalize(self.weight, dim=1).to(x.dtype)).clamp(-1.0, 1.0)

    @torch.no_grad()
    def init_from_centres(self, centres: torch.Tensor) -> None:
        """Start each class weight at its people's mean embedding: fine-tuning then starts at a
        sensible classifier instead of a random one, which keeps large-scale margins stable."""
        self.weight.copy_(F.normalize(centres.to(self.weight), dim=1))


class MarginLoss(nn.Module):
    """Cross-entropy over margin-transformed cosine logits; subclasses define `logits`."""

    def __init__(self, embedding_size: int, num_classes: int) -> None:
        super().__init__()
        self.head = CosineHead(embedding_size, num_classes)

    def logits(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(self.logits(self.head.cosine(embeddings), labels), labels)

    def init_from_centres(self, centres: torch.Tensor) -> None:
        self.head.init_from_centres(centres)


def one_hot(labels: torch.Tensor, num_classes: int, like: torch.Tensor) -> torch.Tensor:
    return F.one_hot(labels, num_classes).to(like.dtype)
