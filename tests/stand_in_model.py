"""The bundled SFace weights under another model id: a stand-in for a model trained by faceapp, which
carries the thresholds its training measured (a model without them is never made active)."""

from __future__ import annotations

import json
from pathlib import Path

TRAINED_THRESHOLDS = {"1e-2": 0.28, "1e-3": 0.36, "1e-4": 0.42}


def stand_in(out: Path, model_id: str, thresholds: dict | None = TRAINED_THRESHOLDS) -> Path:
    import onnx

    from faceapp import paths

    m = onnx.load(str(paths.SFACE))
    props = {p.key: p.value for p in m.metadata_props}
    props["model_id"] = model_id
    if thresholds is not None:
        props["thresholds"] = json.dumps(thresholds)
    del m.metadata_props[:]
    for k, v in props.items():
        m.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(m, str(out))
    return Path(out)
