"""Every documented loss behind one contract (DESIGN.md, "Loss"):

    build_loss(name, embedding_size, num_classes, **params) -> nn.Module
    module(embeddings, labels) -> scalar tensor

Classification-style losses own their class weights (and offer `init_from_centres`); pair and
triplet losses take their pairs/triplets from a miner.
"""

from __future__ import annotations

from torch import nn

from faceapp.loss_catalogue import PAIR_LOSSES as _CATALOGUE_PAIRS
from trainer.losses.adacos import AdaCosLoss
from trainer.losses.arcface import ArcFaceLoss
from trainer.losses.center import CenterLoss
from trainer.losses.contrastive import ContrastiveLoss
from trainer.losses.cosface import CosFaceLoss
from trainer.losses.softmax import NormSoftmaxLoss, SoftmaxLoss
from trainer.losses.sphereface import SphereFaceLoss
from trainer.losses.triplet import TripletLoss

LOSSES: dict[str, type[nn.Module]] = {
    "softmax": SoftmaxLoss,
    "normsoftmax": NormSoftmaxLoss,
    "center": CenterLoss,
    "contrastive": ContrastiveLoss,
    "triplet": TripletLoss,
    "sphereface": SphereFaceLoss,
    "cosface": CosFaceLoss,
    "arcface": ArcFaceLoss,
    "adacos": AdaCosLoss,
}
# Losses that learn from pairs/triplets inside a batch and so want P×K batches (the catalogue says which).
PAIR_LOSSES = set(_CATALOGUE_PAIRS)


def build_loss(name: str, embedding_size: int, num_classes: int, **params) -> nn.Module:  # noqa: ANN003
    try:
        cls = LOSSES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}") from None
    return cls(embedding_size, num_classes, **params)
