"""Miners: pick index tuples from a batch (as in pytorch-metric-learning, the miner/loss contract).

Pairs are (a1, p, a2, n): positive pairs (a1[i], p[i]) and negative pairs (a2[j], n[j]). Triplets
are (a, p, n). Distances are Euclidean on L2-normalised embeddings, squared for triplets as in
FaceNet. Every miner works under no_grad; the loss recomputes distances with gradients.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

Pairs = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
Triplets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def sq_dists(x: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances of L2-normalised rows: 2 − 2·cos (clamped at 0)."""
    x = F.normalize(x.float(), dim=1)
    return (2.0 - 2.0 * x @ x.T).clamp_min(0.0)


def _masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def all_pairs(labels: torch.Tensor) -> Pairs:
    """Every positive pair i<j with the same label and every negative pair i<j."""
    pos, neg = _masks(labels)
    upper = torch.ones_like(pos).triu(1)
    a1, p = torch.nonzero(pos & upper, as_tuple=True)
    a2, n = torch.nonzero(neg & upper, as_tuple=True)
    return a1, p, a2, n


def all_triplets(labels: torch.Tensor) -> Triplets:
    pos, neg = _masks(labels)
    a, p, n = torch.nonzero(pos[:, :, None] & neg[:, None, :], as_tuple=True)
    return a, p, n


@torch.no_grad()
def batch_hard(embeddings: torch.Tensor, labels: torch.Tensor) -> Triplets:
    """For each anchor with a positive and a negative: its farthest positive and nearest negative
    (Hermans et al., "In Defense of the Triplet Loss", 2017)."""
    d = sq_dists(embeddings)
    pos, neg = _masks(labels)
    ok = pos.any(1) & neg.any(1)
    a = torch.nonzero(ok, as_tuple=True)[0]
    p = d.masked_fill(~pos, -1.0).argmax(1)[a]
    n = d.masked_fill(~neg, float("inf")).argmin(1)[a]
    return a, p, n


@torch.no_grad()
def semi_hard(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> Triplets:
    """FaceNet (Schroff et al. 2015): every anchor–positive pair with each negative farther than the
    positive but within the margin: d(a,p) < d(a,n) < d(a,p) + α (squared distances)."""
    d = sq_dists(embeddings)
    a, p, n = all_triplets(labels)
    dap, dan = d[a, p], d[a, n]
    keep = (dan > dap) & (dan < dap + margin)
    return a[keep], p[keep], n[keep]


MINERS = {"all": lambda e, y, m: all_triplets(y), "batch_hard": lambda e, y, m: batch_hard(e, y),
          "semi_hard": semi_hard}


@torch.no_grad()
def offline_triplets(embeddings: torch.Tensor, labels: torch.Tensor, margin: float = 0.2,
                     per_anchor: int = 1, seed: int = 0) -> Triplets:
    """Offline mining over a subset (FaceNet's alternative): embed a subset with the current model
    every so often, then keep up to `per_anchor` random semi-hard negatives per anchor–positive pair
    (falling back to the hardest negative where none is semi-hard). The engine feeds these triplets
    as batches laid out a,p,n (see samplers.TripletBatches)."""
    g = torch.Generator().manual_seed(seed)
    d = sq_dists(embeddings)
    pos, neg = _masks(labels)
    out: list[tuple[int, int, int]] = []
    for a, p in torch.nonzero(pos, as_tuple=False).tolist():
        cand = torch.nonzero(neg[a] & (d[a] > d[a, p]) & (d[a] < d[a, p] + margin), as_tuple=True)[0]
        if len(cand) == 0:
            cand = d[a].masked_fill(~neg[a], float("inf")).argmin().reshape(1)
        pick = cand[torch.randperm(len(cand), generator=g)[:per_anchor]]
        out.extend((a, p, int(n)) for n in pick)
    t = torch.tensor(out, dtype=torch.long).reshape(-1, 3)
    return t[:, 0], t[:, 1], t[:, 2]
