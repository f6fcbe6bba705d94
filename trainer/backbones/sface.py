"""The SFace network (MobileFaceNet-like) rebuilt in torch from the base ONNX file's own graph.

We read the node list and initializers of resources/models/sface_2021dec_fp32.onnx and turn each
Conv→BatchNorm→PRelu triple into a `ConvUnit`, then the head BN → Flatten → Gemm → BN. Reading the
graph rather than hand-writing the layer list means the torch module cannot drift from the file the
app serves, and its output matches onnxruntime (tests/trainer/test_sface_parity.py).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn


class ConvUnit(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int, stride: int, pad: int, groups: int, eps: float) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=eps, momentum=0.1)
        self.prelu = nn.PReLU(cout)


class Stem(nn.Module):
    """The graph's own input normalisation: (x − sub)·mul (127.5 and 1/128 in the base file)."""

    def __init__(self, sub: float, mul: float) -> None:
        super().__init__()
        self.register_buffer("sub", torch.tensor(sub))
        self.register_buffer("mul", torch.tensor(mul))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.sub) * self.mul


class SFaceNet(nn.Module):
    """Input N×3×112×112 RGB raw 0..255 (the graph normalises); output N×128, not L2-normalised."""

    def __init__(self, units: list[tuple[str, ConvUnit]], head_bn: nn.BatchNorm2d, fc: nn.Linear,
                 fc_bn: nn.BatchNorm1d, sub: float, mul: float) -> None:
        super().__init__()
        self.stem = Stem(sub, mul)
        self.body = nn.Sequential()
        for name, unit in units:
            self.body.add_module(name, unit)
        self.bn1 = head_bn
        self.dropout = nn.Dropout(0.0)
        self.fc = fc
        self.fc_bn = fc_bn
        self.embedding_size = fc.out_features

    def head(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_bn(self.fc(torch.flatten(self.dropout(self.bn1(x)), 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.stem(x)))

    def split(self, trainable_units: int) -> tuple[nn.Module, nn.Module]:
        """(frozen trunk, trainable tail) with the last `trainable_units` conv units in the tail."""
        units = list(self.body.children())
        cut = len(units) - trainable_units
        return nn.Sequential(self.stem, *units[:cut]), _Tail(self, units[cut:])


class _Tail(nn.Module):
    def __init__(self, net: SFaceNet, units: list[nn.Module]) -> None:
        super().__init__()
        self.units = nn.Sequential(*units)
        self.bn1, self.dropout, self.fc, self.fc_bn = net.bn1, net.dropout, net.fc, net.fc_bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_bn(self.fc(torch.flatten(self.dropout(self.bn1(self.units(x))), 1)))


def _bn(cls: type, w: dict[str, np.ndarray], node, eps: float) -> nn.Module:  # noqa: ANN001
    gamma, beta, mean, var = (w[n] for n in node.input[1:5])
    bn = cls(len(gamma), eps=eps, momentum=0.1)
    with torch.no_grad():
        bn.weight.copy_(torch.from_numpy(gamma))
        bn.bias.copy_(torch.from_numpy(beta))
        bn.running_mean.copy_(torch.from_numpy(mean))
        bn.running_var.copy_(torch.from_numpy(var))
    return bn


def load_sface(path: str | Path | None = None) -> SFaceNet:
    """Build SFaceNet from the ONNX file (default: the bundled base model) with its weights."""
    import onnx
    from onnx import helper, numpy_helper

    if path is None:
        from faceapp import paths

        path = paths.SFACE
    model = onnx.load(str(path))
    w = {i.name: numpy_helper.to_array(i).astype(np.float32) for i in model.graph.initializer}
    nodes = list(model.graph.node)
    attrs = [{a.name: helper.get_attribute_value(a) for a in n.attribute} for n in nodes]
    ops = [n.op_type for n in nodes]
    sub = float(w[nodes[ops.index("Sub")].input[1]].reshape(-1)[0])
    mul = float(w[nodes[ops.index("Mul")].input[1]].reshape(-1)[0])
    units: list[tuple[str, ConvUnit]] = []
    i = 0
    while i < len(nodes):
        if ops[i] == "Conv":
            if ops[i + 1 : i + 3] != ["BatchNormalization", "PRelu"]:
                raise ValueError(f"unexpected SFace graph after {nodes[i].name or nodes[i].output[0]}")
            kw = w[nodes[i].input[1]]
            a = attrs[i]
            g = int(a.get("group", 1))
            unit = ConvUnit(kw.shape[1] * g, kw.shape[0], kw.shape[2], a["strides"][0], a["pads"][0], g,
                            float(attrs[i + 1]["epsilon"]))
            with torch.no_grad():
                unit.conv.weight.copy_(torch.from_numpy(kw))
                unit.bn.load_state_dict(_bn(nn.BatchNorm2d, w, nodes[i + 1], 1e-3).state_dict())
                unit.prelu.weight.copy_(torch.from_numpy(w[nodes[i + 2].input[1]].reshape(-1)))
            units.append((nodes[i].output[0].removesuffix("_conv2d"), unit))
            i += 3
        else:
            i += 1
    bns = [k for k, o in enumerate(ops) if o == "BatchNormalization"]
    gemm = nodes[ops.index("Gemm")]
    head_bn = _bn(nn.BatchNorm2d, w, nodes[bns[-2]], float(attrs[bns[-2]]["epsilon"]))
    fc_bn = _bn(nn.BatchNorm1d, w, nodes[bns[-1]], float(attrs[bns[-1]]["epsilon"]))
    fw, fb = w[gemm.input[1]], w[gemm.input[2]]
    fc = nn.Linear(fw.shape[1], fw.shape[0])
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(fw))
        fc.bias.copy_(torch.from_numpy(fb))
    net = SFaceNet(units, head_bn, fc, fc_bn, sub, mul)
    return net.eval()
