"""The training losses by name, in words: one torch-free list for the CLI, the GUI and the trainer.

The trainer maps each name to its module (trainer.losses.LOSSES, checked against this list by
tests/trainer/test_losses.py); the CLI offers these names; the GUI shows `plain` with `technical` as
its tooltip. The first entry is the default: the largest gain on the user's people while strangers
are recognised as before (`faceapp bench losses`, seeds 0 and 1, one-SE selection).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LossInfo:
    name: str
    title: str
    plain: str  # what it does, for someone who has never trained a model
    technical: str  # the exact terms (the GUI's tooltip, the CLI's help)
    pairs: bool = False  # learns from pairs/triplets inside a batch (wants P×K batches)


CATALOGUE: tuple[LossInfo, ...] = (
    LossInfo("adacos", "AdaCos",
             "Sets its own strength while it learns: the fewest settings, and the default (it helped your "
             "people most while strangers stayed as they were).",
             "AdaCos: cosine softmax with an adaptive scale s (dynamic by default; fixed with --param dynamic=false)."),
    LossInfo("arcface", "ArcFace",
             "Asks each face to sit clearly closer to its own person than to anyone else: a close second.",
             "ArcFace: additive angular margin m on the target logit, cos(θ + m), scale s (insightface's default)."),
    LossInfo("cosface", "CosFace",
             "Like ArcFace with a simpler rule: simple, steady, widely used.",
             "CosFace (LMCL): additive cosine margin, s·(cos θ − m)."),
    LossInfo("sphereface", "SphereFace",
             "A strict version of the same idea: strong, but harder to train well.",
             "SphereFace (A-Softmax): multiplicative angular margin, cos(m·θ)."),
    LossInfo("normsoftmax", "Normalised softmax",
             "Compares faces only by the direction they point in: a sturdy baseline.",
             "NormFace: softmax over cosine similarities of L2-normalised features and weights, scale s."),
    LossInfo("softmax", "Softmax",
             "Learns to tell your people apart with no extra push between them: the plain baseline.",
             "Softmax cross-entropy over a linear classifier on the embedding."),
    LossInfo("center", "Center loss",
             "Pulls each person's faces together while still telling people apart: tighter groups.",
             "Softmax + λ·center loss (distance of each feature to its class centre)."),
    LossInfo("triplet", "Triplet",
             "Each face must be closer to another photo of the same person than to anyone else, by a margin.",
             "Triplet loss (FaceNet) with semi-hard or hard negative mining inside P×K batches.", pairs=True),
    LossInfo("contrastive", "Contrastive",
             "Pulls two photos of one person together and pushes different people apart.",
             "Contrastive loss on pairs: positive distance², negative hinge (margin − d)².", pairs=True),
)

DEFAULT = CATALOGUE[0].name
NAMES: tuple[str, ...] = tuple(loss.name for loss in CATALOGUE)
PAIR_LOSSES: frozenset[str] = frozenset(loss.name for loss in CATALOGUE if loss.pairs)


def describe(name: str) -> LossInfo:
    for loss in CATALOGUE:
        if loss.name == name.lower():
            return loss
    raise KeyError(f"unknown loss {name!r}; choose from {', '.join(NAMES)}")
