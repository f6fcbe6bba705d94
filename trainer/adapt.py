"""A light per-library adaptation on top of the embedding: a linear map learned from the user's
confirmed faces, kept only when validation says it helps (cfg.linear_adapt).

The map is within-class covariance normalisation (WCCN; Hatch, Kajarekar & Stolcke 2006): the
directions in which one person's faces vary most (pose, light, age, the camera of this family)
are shrunk, M = (S_w + λ·I)^(−1/2), S_w the within-person scatter of the normalised embeddings of
the training faces, λ a shrinkage (a share of S_w's mean eigenvalue; about 10 faces of 50 people
do not estimate a 128×128 matrix well). It is applied to the L2-normalised embedding and blended
with the identity, x ↦ (1−β)·x + β·M·x/‖M‖ (β = 0: the model as it was). It learns nothing about
who anyone is, only which variation to discount, so it carries over to people it never saw; the
guard people check that it does.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def wccn(emb: np.ndarray, labels: np.ndarray, shrink: float) -> np.ndarray:
    """(S_w + shrink·mean eig·I)^(−1/2), scaled so that its mean eigenvalue is 1 (D×D float32)."""
    x = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    centred = np.concatenate([x[labels == c] - x[labels == c].mean(0) for c in np.unique(labels)])
    sw = centred.T @ centred / max(len(centred), 1)
    lam = shrink * float(np.trace(sw)) / len(sw)
    w, v = np.linalg.eigh(sw + lam * np.eye(len(sw)))
    inv = 1 / np.sqrt(np.maximum(w, 1e-12))
    m = (v * (inv / inv.mean())) @ v.T
    return m.astype(np.float32)


def blend(m: np.ndarray, beta: float) -> np.ndarray:
    return ((1 - beta) * np.eye(len(m), dtype=np.float32) + beta * m).astype(np.float32)


def apply(emb: np.ndarray, mat: np.ndarray) -> np.ndarray:
    """The adapted embeddings, L2-normalised."""
    x = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    y = x @ mat.T
    return y / np.linalg.norm(y, axis=1, keepdims=True)


class Adapted(nn.Module):
    """The backbone followed by the linear map on its normalised output (exported as one graph)."""

    def __init__(self, net: nn.Module, mat: np.ndarray) -> None:
        super().__init__()
        self.net = net
        self.embedding_size = net.embedding_size
        self.register_buffer("mat", torch.from_numpy(np.ascontiguousarray(mat)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.net(x), dim=1) @ self.mat.T


def choose_map(train_emb: np.ndarray, train_labels: np.ndarray, val_emb: np.ndarray, val_labels: np.ndarray,
               guard_emb: np.ndarray | None, guard_labels: np.ndarray | None,
               shrinks: tuple = (0.1, 0.3, 1.0), betas: tuple = (0.25, 0.5, 0.75, 1.0)) -> tuple[np.ndarray | None, dict]:
    """The map of the grid with the best validation score that beats the model without one and keeps
    the guard people's score; (None, figures) when none does."""
    from trainer.validation import guard_score, val_score

    def scores(mat: np.ndarray | None) -> tuple[float, float | None]:
        v = val_emb if mat is None else apply(val_emb, mat)
        g = None
        if guard_emb is not None and len(np.unique(guard_labels)) > 1:
            g = guard_score(v, val_labels, guard_emb if mat is None else apply(guard_emb, mat), guard_labels)
        return val_score(v, val_labels), g

    base_v, base_g = scores(None)
    best, figures = None, {"none": {"val_score": base_v, "guard_score": base_g}}
    best_v = base_v
    for s in shrinks:
        m = wccn(train_emb, train_labels, s)
        for b in betas:
            mat = blend(m, b)
            v, g = scores(mat)
            figures[f"shrink={s},beta={b}"] = {"val_score": v, "guard_score": g}
            if v > best_v + 1e-4 and (g is None or base_g is None or g >= base_g):
                best, best_v = mat, v
                figures["kept"] = f"shrink={s},beta={b}"
    return best, figures
