"""The metadata an embedding model file carries (DESIGN.md, "Model file"); the app never guesses."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_KEYS = ("model_id", "embedding_size", "input_size", "color_order", "normalization")


class ModelMetadataError(ValueError):
    pass


@dataclass
class ModelInfo:
    model_id: str
    embedding_size: int
    input_size: int
    color_order: str  # "RGB" or "BGR"
    mean: float
    std: float
    base_model: str = ""
    loss: str = ""
    loss_params: dict = field(default_factory=dict)
    training_data: str = ""
    thresholds: dict = field(default_factory=dict)  # {"1e-3": 0.36, ...} cosine thresholds by FAR
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_props(cls, props: dict[str, str]) -> ModelInfo:
        missing = [k for k in REQUIRED_KEYS if k not in props]
        if missing:
            raise ModelMetadataError(f"model file lacks metadata keys: {', '.join(missing)}")
        norm = json.loads(props["normalization"])

        def _json(key: str) -> dict:
            try:
                return json.loads(props.get(key) or "{}")
            except json.JSONDecodeError:
                return {}

        order = props["color_order"].upper()
        if order not in ("RGB", "BGR"):
            raise ModelMetadataError(f"unknown colour order {order!r}")
        return cls(
            model_id=props["model_id"],
            embedding_size=int(props["embedding_size"]),
            input_size=int(props["input_size"]),
            color_order=order,
            mean=float(norm.get("mean", 0.0)),
            std=float(norm.get("std", 1.0)),
            base_model=props.get("base_model", ""),
            loss=props.get("loss", ""),
            loss_params=_json("loss_params"),
            training_data=props.get("training_data", ""),
            thresholds={k: float(v) for k, v in _json("thresholds").items()},
            raw=dict(props),
        )


def read_model_info(path: str | Path) -> ModelInfo:
    """Read the model file's metadata (onnx parses the file; no inference session is built)."""
    try:
        import onnx
    except ImportError:
        onnx = None
    if onnx is not None:
        model = onnx.load(str(path))
        return ModelInfo.from_props({p.key: p.value for p in model.metadata_props})
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    return ModelInfo.from_props(dict(sess.get_modelmeta().custom_metadata_map))
