"""Tiny stand-ins for an insightface model pack (no real weights): ONNX graphs with the input and
output shapes of buffalo_l's files, built with onnx.helper in a few milliseconds.

- recognition (w600k_r50.onnx): input N×3×112×112 → N×512, a strided Conv + ReLU + Gemm, so the
  input's normalisation changes the embedding's direction;
- detector (det_10g.onnx): input 1×3×?×? → nine outputs (scores ×1, boxes ×4, keypoints ×10 at
  strides 8, 16, 32, two anchors per cell), as SCRFD exports;
- landmarks (2d106det.onnx): input N×3×192×192 → N×212;
- gender/age (genderage.onnx): input N×3×96×96 → N×3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _save(graph, path: Path) -> Path:
    import onnx
    from onnx import helper

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _init(name: str, array: np.ndarray):
    from onnx import numpy_helper

    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def recognition(path: Path, size: int = 112, dim: int = 512, seed: int = 0, baked_norm: bool = False) -> Path:
    """A face-recognition-shaped graph. `baked_norm`: the graph starts with Sub and Mul nodes (named
    so), as MXNet-converted insightface models do, and takes raw 0..255 input."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    k = 16
    cells = (size // k) ** 2 * 4
    nodes, inits, x = [], [], "input.1"
    if baked_norm:
        inits += [_init("sub_c", np.full((1, 3, 1, 1), 127.5)), _init("mul_c", np.full((1, 3, 1, 1), 1 / 127.5))]
        nodes += [helper.make_node("Sub", [x, "sub_c"], ["x_sub"], name="Sub_0"),
                  helper.make_node("Mul", ["x_sub", "mul_c"], ["x_norm"], name="Mul_1")]
        x = "x_norm"
    inits += [_init("conv_w", rng.normal(0, 0.05, (4, 3, k, k))), _init("conv_b", rng.normal(0, 0.5, 4)),
              _init("fc_w", rng.normal(0, 0.1, (cells, dim))), _init("fc_b", rng.normal(0, 0.1, dim)),
              _init("shape", np.array([0, -1]))]
    inits[-1].data_type = TensorProto.INT64
    inits[-1].ClearField("float_data")
    inits[-1].raw_data = np.array([0, -1], np.int64).tobytes()
    nodes += [helper.make_node("Conv", [x, "conv_w", "conv_b"], ["c"], strides=[k, k], name="Conv_2"),
              helper.make_node("Relu", ["c"], ["r"], name="Relu_3"),
              helper.make_node("Reshape", ["r", "shape"], ["f"], name="Reshape_4"),
              helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["683"], name="Gemm_5")]
    graph = helper.make_graph(nodes, "tiny_arcface",
                              [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["None", 3, size, size])],
                              [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["None", dim])], inits)
    return _save(graph, path)


def detector(path: Path, seed: int = 1) -> Path:
    """An SCRFD-shaped graph: per stride, pooled input → 1×1 convs → (cells·2)×{1, 4, 10}."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    nodes, inits, outputs = [], [], []
    for stride in (8, 16, 32):
        pooled = f"p{stride}"
        nodes.append(helper.make_node("AveragePool", ["input.1"], [pooled], kernel_shape=[stride, stride],
                                      strides=[stride, stride]))
        for width, kind in ((1, "score"), (4, "bbox"), (10, "kps")):
            w, conv, flat, out = f"w_{kind}{stride}", f"c_{kind}{stride}", f"t_{kind}{stride}", f"{kind}_{stride}"
            inits.append(_init(w, rng.normal(0, 0.01, (2 * width, 3, 1, 1))))
            shape = f"s_{kind}{stride}"
            inits.append(helper.make_tensor(shape, TensorProto.INT64, [2], [-1, width]))
            nodes += [helper.make_node("Conv", [pooled, w], [conv]),
                      helper.make_node("Transpose", [conv], [flat], perm=[0, 2, 3, 1])]
            if kind == "score":
                nodes += [helper.make_node("Reshape", [flat, shape], [f"r_{kind}{stride}"]),
                          helper.make_node("Sigmoid", [f"r_{kind}{stride}"], [out])]
            else:
                nodes.append(helper.make_node("Reshape", [flat, shape], [out]))
            outputs.append(helper.make_tensor_value_info(out, TensorProto.FLOAT, [None, width]))
    graph = helper.make_graph(nodes, "tiny_scrfd",
                              [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "?", "?"])],
                              outputs, inits)
    return _save(graph, path)


def _head(path: Path, size: int, out: int, name: str) -> Path:
    from onnx import TensorProto, helper

    inits = [_init("w", np.full((out, 3), 0.01)), _init("b", np.zeros(out))]
    nodes = [helper.make_node("GlobalAveragePool", ["data"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "w", "b"], ["fc1"], transB=1)]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("data", TensorProto.FLOAT, ["None", 3, size, size])],
                              [helper.make_tensor_value_info("fc1", TensorProto.FLOAT, ["None", out])], inits)
    return _save(graph, path)


def make_pack(folder: Path, with_detector: bool = True, with_heads: bool = True) -> Path:
    """A buffalo_l-like folder: det_10g.onnx, w600k_r50.onnx, 2d106det.onnx, genderage.onnx."""
    folder.mkdir(parents=True, exist_ok=True)
    recognition(folder / "w600k_r50.onnx")
    if with_detector:
        detector(folder / "det_10g.onnx")
    if with_heads:
        _head(folder / "2d106det.onnx", 192, 212, "landmark")
        _head(folder / "genderage.onnx", 96, 3, "genderage")
    return folder
