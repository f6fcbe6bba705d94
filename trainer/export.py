"""Export a trained backbone as the app's model file (DESIGN.md, "Model file") and check parity.

ONNX with a dynamic batch axis, input 'data' N×3×S×S float32 RGB 0..255 (the network normalises
inside, so the metadata says mean 0, std 1), output 'fc1'; metadata carries the model id, the base
model, the loss and its parameters, a training-data summary and the calibrated cosine thresholds.
The parity check runs the file through onnxruntime and compares with torch on real crops.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from torch import nn

from trainer.augment import to_tensor
from trainer.features import export_onnx


def model_metadata(model_id: str, embedding_size: int, loss: str, loss_params: dict, training_data: str,
                   thresholds: dict[str, float], base_model: str = "sface-2021dec", input_size: int = 112,
                   licence: str = "Apache-2.0 (base SFace weights); fine-tuned locally") -> dict[str, str]:
    return {
        "model_id": model_id,
        "base_model": base_model,
        "embedding_size": str(embedding_size),
        "input_size": str(input_size),
        "color_order": "RGB",
        "normalization": json.dumps({"mean": 0.0, "std": 1.0, "note": "raw 0..255; the graph normalises"}),
        "loss": loss,
        "loss_params": json.dumps(loss_params, sort_keys=True),
        "training_data": training_data,
        "license": licence,
        "thresholds": json.dumps(thresholds),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def export_model(net: nn.Module, path: str | Path, metadata: dict[str, str]) -> Path:
    """Write the ONNX file with its metadata; returns the path."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    export_onnx(net, path, int(metadata.get("input_size", 112)))
    model = onnx.load(str(path))
    del model.metadata_props[:]
    for k, v in metadata.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=str(v)))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def parity(net: nn.Module, path: str | Path, crops: np.ndarray) -> float:
    """max |Δ| between torch and onnxruntime outputs (raw, before L2) on these crops."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = to_tensor(crops)
    with torch.no_grad():
        want = net.eval().cpu()(x).numpy()
    got = sess.run(None, {"data": x.numpy()})[0]
    return float(np.abs(got - want).max())


def new_model_id(loss: str, net: nn.Module) -> str:
    """sface-ft-<loss>-<date>-<short hash of the weights>: unique per training run."""
    h = hashlib.sha256()
    for t in net.state_dict().values():
        h.update(t.detach().cpu().numpy().tobytes())
    return f"sface-ft-{loss}-{datetime.now(timezone.utc):%Y%m%d}-{h.hexdigest()[:8]}"
