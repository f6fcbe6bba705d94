"""CosFace / large-margin cosine loss (Wang et al., "CosFace: Large Margin Cosine Loss for Deep
Face Recognition", CVPR 2018).

L = −log( exp(s·(cos θ_y − m)) / (exp(s·(cos θ_y − m)) + Σ_{j≠y} exp(s·cos θ_j)) ).
Defaults s = 64, m = 0.35. With m = 0 this is the normalised softmax with scale s.
"""

from __future__ import annotations

import torch

from trainer.losses.base import MarginLoss, one_hot


class CosFaceLoss(MarginLoss):
    def __init__(self, embedding_size: int, num_classes: int, s: float = 64.0, m: float = 0.35) -> None:
        super().__init__(embedding_size, num_classes)
        self.s, self.m = s, m

    def logits(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.s * (cos - self.m * one_hot(labels, cos.shape[1], cos))
