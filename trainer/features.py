"""Embedding helpers, and the frozen trunk's features computed once.

On CPU we fine-tune only the last blocks. The frozen trunk's output does not change during
training, so it is computed once per face (and once per flipped face) by onnxruntime — about twice
as fast as torch on CPU for this network — and the trainable tail then runs on those features
every epoch. That is what makes a CPU fine-tune take minutes instead of hours.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from trainer.augment import to_tensor
from trainer.data.faceset import FaceSet


def export_onnx(module: nn.Module, path: str | Path, input_size: int = 112, output: str = "fc1", opset: int = 17) -> None:
    """ONNX with a dynamic batch axis, input 'data' N×3×S×S float32 RGB 0..255."""
    module = module.eval().cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(2, 3, input_size, input_size),), str(path), input_names=["data"],
                          output_names=[output], dynamic_axes={"data": {0: "batch"}, output: {0: "batch"}},
                          opset_version=opset, dynamo=False, do_constant_folding=True)


def trunk_features(trunk: nn.Module, crops: np.ndarray, flip: bool = False, batch: int = 8,
                   dtype: type = np.float16, fast: bool = True) -> np.ndarray:
    """Trunk outputs (N×C×H×W, float16 to halve the memory) of crops, through onnxruntime. fast:
    PRelu rewritten as min/mul/add (faceapp.core.onnx_rewrite; the same function, ~40 % faster on CPU)."""
    import onnxruntime as ort

    from faceapp.core.onnx_rewrite import fast_model_bytes

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "trunk.onnx"
        export_onnx(trunk, path, crops.shape[1], output="features")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        model = (fast_model_bytes(path) if fast else None) or str(path)
        sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    out = None
    for i in range(0, len(crops), batch):
        c = crops[i : i + batch]
        x = to_tensor(c[:, :, ::-1] if flip else c).numpy()
        y = sess.run(None, {"data": x})[0]
        if out is None:
            out = np.empty((len(crops), *y.shape[1:]), dtype)
        out[i : i + len(y)] = y
    return out if out is not None else np.zeros((0,), dtype)


@torch.no_grad()
def tail_embed(tail: nn.Module, feats: np.ndarray, device: torch.device | str = "cpu", batch: int = 256,
               normalise: bool = True) -> np.ndarray:
    """Embeddings (L2-normalised unless told) from precomputed trunk features."""
    tail.eval()
    norm = F.normalize if normalise else (lambda t, dim: t)
    out = [norm(tail(torch.from_numpy(feats[i : i + batch]).to(device).float()), dim=1).cpu()
           for i in range(0, len(feats), batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


@torch.no_grad()
def embed_crops(net: nn.Module, crops: np.ndarray, device: torch.device | str = "cpu", batch: int = 64,
                normalise: bool = True) -> np.ndarray:
    """Embeddings (L2-normalised unless told) of aligned RGB crops through the whole torch network."""
    net.eval()
    norm = F.normalize if normalise else (lambda t, dim: t)
    out = [norm(net(to_tensor(crops[i : i + batch], device)), dim=1).float().cpu()
           for i in range(0, len(crops), batch)]
    return torch.cat(out).numpy() if out else np.zeros((0, 0), np.float32)


def compute_features(trunk: nn.Module, data: FaceSet, val: FaceSet | None,
                     guard: FaceSet | None = None, anchors: FaceSet | None = None) -> dict[str, np.ndarray]:
    out = {"train": trunk_features(trunk, data.crops), "train_flip": trunk_features(trunk, data.crops, flip=True)}
    if val is not None and len(val):
        out["val"] = trunk_features(trunk, val.crops)
    if guard is not None and len(guard):
        out["guard"] = trunk_features(trunk, guard.crops)
    if anchors is not None and len(anchors):
        out["anchors"] = trunk_features(trunk, anchors.crops)
    return out
