"""Backbones for training from scratch (users with a folder-per-person set and a GPU).

MobileFaceNet (Chen et al., "MobileFaceNets", CCBR 2018): depthwise-separable bottlenecks with a
global depthwise conv instead of global pooling. IResNet (as in insightface's arcface_torch): BN-
Conv-BN-PReLU-Conv-BN residual units. Both take RGB 0..255 like SFace and normalise inside, so every
backbone exports with the same metadata."""

from __future__ import annotations

import torch
from torch import nn


def _cbp(cin: int, cout: int, k: int = 1, s: int = 1, g: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.PReLU(cout))
    return nn.Sequential(*layers)


class Bottleneck(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.block = nn.Sequential(_cbp(cin, mid), _cbp(mid, mid, 3, stride, mid), _cbp(mid, cout, act=False))
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x) if self.residual else self.block(x)


class _Normalised(nn.Module):
    def stem(self, x: torch.Tensor) -> torch.Tensor:
        return (x - 127.5) * 0.0078125


class MobileFaceNet(_Normalised):
    # (expansion, out channels, repeats, first stride)
    SETTING = [(2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1)]

    def __init__(self, embedding_size: int = 128) -> None:
        super().__init__()
        layers: list[nn.Module] = [_cbp(3, 64, 3, 2), _cbp(64, 64, 3, 1, 64)]
        cin = 64
        for t, c, n, s in self.SETTING:
            for i in range(n):
                layers.append(Bottleneck(cin, c, s if i == 0 else 1, t))
                cin = c
        gdc = nn.Sequential(nn.Conv2d(512, 512, 7, 1, 0, groups=512, bias=False), nn.BatchNorm2d(512))
        layers += [_cbp(cin, 512), gdc]  # global depthwise conv: 7×7 → 1×1
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(512, embedding_size)
        self.fc_bn = nn.BatchNorm1d(embedding_size)
        self.embedding_size = embedding_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_bn(self.fc(torch.flatten(self.body(self.stem(x)), 1)))


class IBasic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout),
                                   nn.PReLU(cout), nn.Conv2d(cout, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout))
        self.down = None if stride == 1 and cin == cout else nn.Sequential(
            nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x) + (x if self.down is None else self.down(x))


class IResNet(_Normalised):
    def __init__(self, layers: tuple[int, ...] = (2, 2, 2, 2), embedding_size: int = 512) -> None:
        super().__init__()
        mods: list[nn.Module] = [_cbp(3, 64, 3)]
        cin = 64
        for n, c in zip(layers, (64, 128, 256, 512), strict=False):
            for i in range(n):
                mods.append(IBasic(cin, c, 2 if i == 0 else 1))
                cin = c
        self.body = nn.Sequential(*mods, nn.BatchNorm2d(512), nn.Dropout(0.0))
        self.fc = nn.Linear(512 * 7 * 7, embedding_size)
        self.fc_bn = nn.BatchNorm1d(embedding_size)
        self.embedding_size = embedding_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_bn(self.fc(torch.flatten(self.body(self.stem(x)), 1)))
