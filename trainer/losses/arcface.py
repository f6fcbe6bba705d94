"""ArcFace / additive angular margin (Deng et al., "ArcFace: Additive Angular Margin Loss for Deep
Face Recognition", CVPR 2019).

Target logit s·cos(θ_y + m), others s·cos θ_j; margin m in radians. Defaults s = 64, m = 0.5.
cos(θ+m) stops decreasing once θ + m passes π, so (as in insightface) where θ_y > π − m the target
logit becomes s·(cos θ_y − m·sin m), a CosFace-like penalty that keeps it monotonic.
easy_margin=True applies the margin only where cos θ_y > 0. With m = 0 this is the normalised
softmax with scale s.
"""

from __future__ import annotations

import math

import torch

from trainer.losses.base import MarginLoss


class ArcFaceLoss(MarginLoss):
    def __init__(self, embedding_size: int, num_classes: int, s: float = 64.0, m: float = 0.5,
                 easy_margin: bool = False) -> None:
        super().__init__(embedding_size, num_classes)
        self.s, self.m, self.easy_margin = s, m, easy_margin

    def target_logit(self, cos: torch.Tensor) -> torch.Tensor:
        """cos(θ + m) with the θ + m > π fallback (or the easy margin)."""
        sin = torch.sqrt((1.0 - cos * cos).clamp_min(0.0))
        phi = cos * math.cos(self.m) - sin * math.sin(self.m)
        if self.easy_margin:
            return torch.where(cos > 0, phi, cos)
        return torch.where(cos > math.cos(math.pi - self.m), phi, cos - self.m * math.sin(self.m))

    def logits(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        rows = torch.arange(len(labels), device=cos.device)
        out = cos.clone()
        out[rows, labels] = self.target_logit(cos[rows, labels])
        return self.s * out
