"""SphereFace / A-Softmax (Liu et al., "SphereFace: Deep Hypersphere Embedding for Face
Recognition", CVPR 2017).

Class weights normalised (‖W_j‖ = 1), no bias; logits ‖x‖·cos θ_j, except the target, which is
‖x‖·ψ(θ_y) with ψ(θ) = (−1)^k·cos(mθ) − 2k on [kπ/m, (k+1)π/m], k ∈ {0..m−1}; ψ is continuous and
decreasing on [0, π]. Default m = 4.
A-Softmax does not converge from the start with m = 4, so the paper's code blends in the plain
logit: f_y = (λ·‖x‖cos θ_y + ‖x‖ψ(θ_y)) / (1 + λ), λ = max(λ_min, base·(1 + γ·t)^(−power)) at
iteration t. Defaults as the released SphereFace prototxt: base = 1000, γ = 0.12, power = 1,
λ_min = 5. `iteration` advances once per training forward.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from trainer.losses.base import MarginLoss, upcast


def psi(theta: torch.Tensor, m: int) -> torch.Tensor:
    k = torch.floor(theta * m / math.pi).clamp(0, m - 1)
    sign = 1.0 - 2.0 * torch.remainder(k, 2)
    return sign * torch.cos(m * theta) - 2.0 * k


class SphereFaceLoss(MarginLoss):
    def __init__(self, embedding_size: int, num_classes: int, m: int = 4, base: float = 1000.0,
                 gamma: float = 0.12, power: float = 1.0, lambda_min: float = 5.0) -> None:
        super().__init__(embedding_size, num_classes)
        self.m, self.base, self.gamma, self.power, self.lambda_min = int(m), base, gamma, power, lambda_min
        self.register_buffer("iteration", torch.tensor(0, dtype=torch.long))

    @property
    def lam(self) -> float:
        return max(self.lambda_min, self.base * (1.0 + self.gamma * int(self.iteration)) ** (-self.power))

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = upcast(embeddings)
        norm = x.norm(dim=1, keepdim=True)
        cos = self.head.cosine(x)
        rows = torch.arange(len(labels), device=x.device)
        cy = cos[rows, labels]
        theta = torch.acos(cy.clamp(-1 + 1e-7, 1 - 1e-7))
        lam = self.lam
        target = (lam * cy + psi(theta, self.m)) / (1.0 + lam)
        out = cos.clone()
        out[rows, labels] = target
        if self.training:
            self.iteration += 1
        return F.cross_entropy(norm * out, labels)
