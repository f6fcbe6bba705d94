"""Triplet loss (Schroff, Kalenichenko & Philbin, "FaceNet: A Unified Embedding for Face
Recognition and Clustering", CVPR 2015).

L = mean over mined triplets of max(‖f(a) − f(p)‖² − ‖f(a) − f(n)‖² + α, 0), f L2-normalised.
Default α = 0.2 (FaceNet) and miner = 'semi_hard'; 'all' and 'batch_hard' mine inside the batch,
'ordered' takes the batch as consecutive (a, p, n) rows (offline mining, samplers.TripletBatches).
A batch with no valid triplet gives 0 (with a graph), not NaN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from trainer.losses.base import upcast, zero_loss
from trainer.miners import MINERS


class TripletLoss(nn.Module):
    def __init__(self, embedding_size: int = 0, num_classes: int = 0, margin: float = 0.2,
                 miner: str = "semi_hard") -> None:
        super().__init__()
        if miner not in MINERS and miner != "ordered":
            raise ValueError(f"unknown miner {miner!r}: {', '.join([*MINERS, 'ordered'])}")
        self.margin, self.miner = margin, miner

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = F.normalize(upcast(embeddings), dim=1)
        if self.miner == "ordered":
            idx = torch.arange(0, len(x) - len(x) % 3, 3, device=x.device)
            a, p, n = idx, idx + 1, idx + 2
        else:
            a, p, n = MINERS[self.miner](x.detach(), labels, self.margin)
        if len(a) == 0:
            return zero_loss(embeddings)
        dap = ((x[a] - x[p]) ** 2).sum(1)
        dan = ((x[a] - x[n]) ** 2).sum(1)
        return F.relu(dap - dan + self.margin).mean()
