"""AdaCos (Zhang et al., "AdaCos: Adaptively Scaling Cosine Logits for Effectively Learning Deep
Face Representations", CVPR 2019).

Normalised softmax with scale s and no margin. Fixed AdaCos: s = √2·ln(C − 1). Dynamic AdaCos
(default, dynamic=True) updates s after every training batch t:
    s(t) = ln(B_avg(t)) / cos(min(π/4, θ_med(t))),
B_avg(t) = mean over the batch of Σ_{k≠y_i} exp(s(t−1)·cos θ_{i,k}), θ_med(t) = median target angle.
The scale is a statistic, not a parameter: it is updated without gradient.
"""

from __future__ import annotations

import math

import torch

from trainer.losses.base import MarginLoss, one_hot


def fixed_scale(num_classes: int) -> float:
    return math.sqrt(2.0) * math.log(max(num_classes - 1, 2))


class AdaCosLoss(MarginLoss):
    def __init__(self, embedding_size: int, num_classes: int, dynamic: bool = True) -> None:
        super().__init__(embedding_size, num_classes)
        self.dynamic = dynamic
        self.register_buffer("s", torch.tensor(fixed_scale(num_classes)))

    @torch.no_grad()
    def update_scale(self, cos: torch.Tensor, labels: torch.Tensor) -> None:
        mask = one_hot(labels, cos.shape[1], cos)
        b_avg = (torch.exp(self.s * cos) * (1 - mask)).sum(1).mean()
        theta_med = torch.acos(cos[torch.arange(len(labels)), labels]).median()
        self.s.copy_(torch.log(b_avg) / torch.cos(theta_med.clamp(max=math.pi / 4)))

    def logits(self, cos: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        if self.dynamic and self.training:
            self.update_scale(cos.detach(), labels)
        return self.s * cos
