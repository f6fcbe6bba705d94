"""The load-time PRelu rewrite gives the same outputs as the original graph."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from faceapp import paths
from faceapp.core.onnx_rewrite import fast_model_bytes, rewrite_prelu


def _run(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def _conv_prelu_model(slope: np.ndarray) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    c = len(slope)
    w = numpy_helper.from_array(rng.normal(size=(c, 3, 3, 3)).astype(np.float32), "w")
    s = numpy_helper.from_array(slope.reshape(c, 1, 1).astype(np.float32), "slope")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["h"], pads=[1, 1, 1, 1]),
         helper.make_node("PRelu", ["h", "slope"], ["y"]),
         helper.make_node("PRelu", ["y", "slope"], ["z"])],  # two in a row: names must not clash
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 8, 8])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", c, 8, 8])],
        [w, s],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def test_rewrite_matches_prelu_for_slopes_inside_and_outside_0_1(tmp_path):
    slope = np.array([-0.8, 0.0, 0.25, 1.0, 1.12], np.float32)  # SFace's own slopes span −0.81…1.12
    model = _conv_prelu_model(slope)
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    x = np.random.default_rng(1).normal(size=(2, 3, 8, 8)).astype(np.float32)
    fast = fast_model_bytes(path)
    assert fast is not None
    rewritten = onnx.load_from_string(fast)
    assert not any(n.op_type == "PRelu" for n in rewritten.graph.node)
    onnx.checker.check_model(rewritten)
    np.testing.assert_allclose(_run(fast, x), _run(model.SerializeToString(), x), rtol=1e-6, atol=1e-6)


def test_models_without_prelu_are_left_alone(tmp_path):
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    assert rewrite_prelu(model) == 0
    onnx.save(model, tmp_path / "relu.onnx")
    assert fast_model_bytes(tmp_path / "relu.onnx") is None


@pytest.mark.slow
def test_bundled_sface_gives_the_same_embeddings_after_the_rewrite():
    fast = fast_model_bytes(paths.SFACE)
    assert fast is not None
    x = np.random.default_rng(2).uniform(0, 255, size=(4, 3, 112, 112)).astype(np.float32)
    a, b = _run(fast, x), _run(paths.SFACE.read_bytes(), x)
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    assert (a * b).sum(1).min() > 0.99999
