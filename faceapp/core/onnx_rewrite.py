"""Load-time graph rewrites that make onnxruntime's CPU path faster without changing the results.

PRelu with a per-channel slope is the activation of MobileFaceNet-class models such as SFace.
onnxruntime (1.17–1.31) runs it through a generic broadcasting kernel that costs as much as all the
convolutions together, and it cannot stay in the blocked (NCHWc) layout its convolutions use. The
same function written as three cheap element-wise operators,

    PRelu(x, s) = x + (s − 1) · min(x, 0)

(for x ≥ 0: x; for x < 0: x + s·x − x = s·x), is exact up to one rounding and runs about twice as
fast on this kind of model. The model file on disk is never changed: the rewrite happens in memory
when a session is built, so checksums, metadata and the trainer's reader of the file stay as they
are.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def rewrite_prelu(model) -> int:  # noqa: ANN001 — an onnx.ModelProto
    """Replace every PRelu whose slope is a constant initializer, in place; returns how many."""
    from onnx import helper, numpy_helper

    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes, count = [], 0
    for node in graph.node:
        slope = inits.get(node.input[1]) if node.op_type == "PRelu" and len(node.input) == 2 else None
        if slope is None:
            nodes.append(node)
            continue
        s = numpy_helper.to_array(slope)
        zero_name = f"faceapp_prelu_zero_{s.dtype.name}"
        if zero_name not in inits:
            inits[zero_name] = numpy_helper.from_array(np.zeros(1, s.dtype), zero_name)
            graph.initializer.append(inits[zero_name])
        s_minus_1 = numpy_helper.from_array((s.astype(np.float64) - 1).astype(s.dtype), f"{slope.name}_minus_1_{count}")
        graph.initializer.append(s_minus_1)
        x, y, tag = node.input[0], node.output[0], node.name or f"prelu_{count}"
        nodes += [
            helper.make_node("Min", [x, zero_name], [f"{y}__neg"], name=f"{tag}__min"),
            helper.make_node("Mul", [f"{y}__neg", s_minus_1.name], [f"{y}__scaled"], name=f"{tag}__mul"),
            helper.make_node("Add", [x, f"{y}__scaled"], [y], name=f"{tag}__add"),
        ]
        count += 1
    if count:
        del graph.node[:]
        graph.node.extend(nodes)
    return count


def fast_model_bytes(path: str | Path) -> bytes | None:
    """The model at `path` with the rewrites applied, or None when nothing changed (or onnx is absent)."""
    try:
        import onnx
    except ImportError:  # the rewrite is a speed-up, never a requirement
        return None
    model = onnx.load(str(path))
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < 8:  # Min broadcasts from opset 8 on
        return None
    return model.SerializeToString() if rewrite_prelu(model) else None
