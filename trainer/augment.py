"""Light augmentation on batches of aligned crops, in torch (no torchvision on CPU here), so it runs
on the GPU next to the model: horizontal flip, small scale/shift, colour jitter, occasional blur.
Aligned crops are already registered to a template, so anything stronger would undo alignment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class AugmentSettings:
    flip: float = 0.5  # probability
    scale: float = 0.08  # ± relative zoom
    shift: float = 0.04  # ± fraction of the side
    brightness: float = 0.2  # ± relative
    contrast: float = 0.2
    saturation: float = 0.2
    blur: float = 0.15  # probability of a 3×3 Gaussian blur


def to_tensor(crops: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """N×H×W×3 uint8 RGB → N×3×H×W float32 0..255 (the backbones normalise inside)."""
    return torch.from_numpy(np.ascontiguousarray(crops)).to(device).permute(0, 3, 1, 2).float()


def flip(x: torch.Tensor) -> torch.Tensor:
    return torch.flip(x, dims=[3])


def augment(x: torch.Tensor, s: AugmentSettings | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """x: N×3×H×W float 0..255 → augmented copy, same range."""
    s = s or AugmentSettings()
    n, dev = len(x), x.device

    def u(lo: float, hi: float, shape: tuple[int, ...] = ()) -> torch.Tensor:
        return (torch.rand((n, *shape), generator=generator) * (hi - lo) + lo).to(dev)

    flip_mask = u(0, 1) < s.flip
    x = torch.where(flip_mask[:, None, None, None], flip(x), x)
    zoom = 1.0 + u(-s.scale, s.scale)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0 / zoom
    theta[:, :, 2] = u(-s.shift, s.shift, (2,)) * 2.0
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    grey = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2])[:, None]
    x = grey + (x - grey) * (1.0 + u(-s.saturation, s.saturation))[:, None, None, None]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = mean + (x - mean) * (1.0 + u(-s.contrast, s.contrast))[:, None, None, None]
    x = x * (1.0 + u(-s.brightness, s.brightness))[:, None, None, None]
    k = torch.tensor([1.0, 2.0, 1.0], device=dev)
    k = (k[:, None] * k[None, :] / 16.0).expand(3, 1, 3, 3)
    blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), k, groups=3)
    x = torch.where((u(0, 1) < s.blur)[:, None, None, None], blurred, x)
    return x.clamp(0.0, 255.0)
