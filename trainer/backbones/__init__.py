"""One registry of backbones: 'sface' (the base model, fine-tunable, loaded from its ONNX file),
and 'mobilefacenet' / 'iresnet18' / 'iresnet34' for training from scratch."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from trainer.backbones.scratch import IResNet, MobileFaceNet
from trainer.backbones.sface import SFaceNet, load_sface

BACKBONES: dict[str, Callable[..., nn.Module]] = {
    "sface": lambda embedding_size=128, weights=None: load_sface(weights),
    "mobilefacenet": lambda embedding_size=128, weights=None: MobileFaceNet(embedding_size),
    "iresnet18": lambda embedding_size=512, weights=None: IResNet((2, 2, 2, 2), embedding_size),
    "iresnet34": lambda embedding_size=512, weights=None: IResNet((3, 4, 6, 3), embedding_size),
}


def build_backbone(name: str, **kw) -> nn.Module:  # noqa: ANN003
    try:
        return BACKBONES[name](**kw)
    except KeyError:
        raise ValueError(f"unknown backbone {name!r}; choose from {', '.join(BACKBONES)}") from None


__all__ = ["BACKBONES", "SFaceNet", "build_backbone", "load_sface"]
