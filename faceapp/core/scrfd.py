"""SCRFD / RetinaFace-style ONNX detectors (insightface model zoo) from a local file the user names.

Nothing is downloaded. The graph is expected to output, per stride (8, 16, 32), face scores (…×1),
box distances (…×4, in stride units: left, top, right, bottom) and keypoint offsets (…×10), with
two anchors per feature-map cell, as the insightface SCRFD exports do.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from faceapp.core.detect import Detection, DetectorSettings, _downscale
from faceapp.core.ort_session import cpu_session

STRIDES = (8, 16, 32)


def _nms(boxes: np.ndarray, scores: np.ndarray, thresh: float) -> list[int]:
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1) * (y2 - y1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        xx1 = np.maximum(x1[i], x1[order[1:]])
        yy1 = np.maximum(y1[i], y1[order[1:]])
        xx2 = np.minimum(x2[i], x2[order[1:]])
        yy2 = np.minimum(y2[i], y2[order[1:]])
        inter = np.clip(xx2 - xx1, 0, None) * np.clip(yy2 - yy1, 0, None)
        iou = inter / (areas[i] + areas[order[1:]] - inter + 1e-9)
        order = order[1:][iou <= thresh]
    return keep


def decode_outputs(outputs: list[np.ndarray], input_size: int, score_threshold: float, nms_threshold: float,
                   anchors: int = 2) -> list[Detection]:
    """Turn raw SCRFD outputs (any order) into detections in input-image pixels."""
    flat = [o.reshape(-1, o.shape[-1]) for o in outputs]
    by_width = {1: [], 4: [], 10: []}
    for o in flat:
        if o.shape[1] in by_width:
            by_width[o.shape[1]].append(o)
    for k in by_width:
        by_width[k].sort(key=lambda a: -len(a))  # most cells first: stride 8, 16, 32
    if not by_width[1] or len(by_width[1]) != len(by_width[4]):
        raise ValueError("outputs do not look like SCRFD (scores ×1, boxes ×4, keypoints ×10 per stride)")
    all_boxes, all_scores, all_kps = [], [], []
    for level, stride in enumerate(STRIDES[: len(by_width[1])]):
        scores = by_width[1][level][:, 0]
        side = input_size // stride
        ys, xs = np.mgrid[:side, :side]
        centres = np.stack([xs, ys], -1).reshape(-1, 2).astype(np.float32) * stride
        centres = np.repeat(centres, anchors, axis=0)
        keep = scores >= score_threshold
        if not keep.any():
            continue
        d = by_width[4][level][keep] * stride
        c = centres[keep]
        all_boxes.append(np.stack([c[:, 0] - d[:, 0], c[:, 1] - d[:, 1], c[:, 0] + d[:, 2], c[:, 1] + d[:, 3]], 1))
        all_scores.append(scores[keep])
        if by_width[10]:
            k = by_width[10][level][keep].reshape(-1, 5, 2) * stride + c[:, None, :]
            all_kps.append(k)
    if not all_boxes:
        return []
    boxes, scores = np.concatenate(all_boxes), np.concatenate(all_scores)
    kps = np.concatenate(all_kps) if all_kps else np.zeros((len(boxes), 5, 2), np.float32)
    out = []
    for i in _nms(boxes, scores, nms_threshold):
        x1, y1, x2, y2 = boxes[i]
        out.append(Detection(np.array([x1, y1, x2 - x1, y2 - y1], float), kps[i].astype(float), float(scores[i])))
    return out


class SCRFDDetector:
    def __init__(self, model_path: str | Path, settings: DetectorSettings, input_size: int = 640) -> None:
        self._sess = cpu_session(model_path)
        self._input = self._sess.get_inputs()[0].name
        self.settings = settings
        self.input_size = input_size
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        small, s = _downscale(rgb, min(self.settings.long_side, self.input_size))
        canvas = np.zeros((self.input_size, self.input_size, 3), np.float32)
        canvas[: small.shape[0], : small.shape[1]] = small
        blob = ((canvas - 127.5) / 128.0).transpose(2, 0, 1)[None]
        outputs = self._sess.run(None, {self._input: np.ascontiguousarray(blob, dtype=np.float32)})
        dets = decode_outputs(outputs, self.input_size, self.settings.score_threshold, self.settings.nms_threshold)
        return [d.scaled(1.0 / s) for d in dets]


__all__ = ["SCRFDDetector", "decode_outputs"]
