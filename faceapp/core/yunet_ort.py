"""YuNet through onnxruntime: the bundled detector's default path.

The same network as OpenCV's `FaceDetectorYN` (weights dequantized from the shipped int8 file by
tools/build_models.py, input height and width left free), run by onnxruntime, which does the work in
about half the CPU time of OpenCV's DNN module. Pre- and post-processing follow OpenCV's
implementation: the BGR image is padded with zeros to a multiple of 32 and fed unscaled; each of the
three strides (8, 16, 32) gives per-cell class and objectness scores (score = √(cls·obj), both
clipped to [0, 1]), a box (centre offset in cells, log width/height in cells) and five landmarks
(offsets in cells); boxes above the score threshold go through non-maximum suppression.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from faceapp.core.detect import Detection, DetectorSettings, _downscale
from faceapp.core.ort_session import cpu_session

STRIDES = (8, 16, 32)
TOP_K = 5000


def _pad(n: int, divisor: int = 32) -> int:
    return ((max(n, 1) - 1) // divisor + 1) * divisor


def decode(outputs: dict[str, np.ndarray], pad_h: int, pad_w: int, score_threshold: float,
           nms_threshold: float) -> list[Detection]:
    """Raw YuNet outputs (by name) → detections in the padded input's pixels, best first."""
    boxes, kps, scores = [], [], []
    for s in STRIDES:
        rows, cols = pad_h // s, pad_w // s
        cls = np.clip(outputs[f"cls_{s}"].reshape(-1), 0, 1)
        if cls.size != rows * cols:
            raise ValueError(f"YuNet stride {s} gave {cls.size} cells for a {pad_w}×{pad_h} input")
        obj = np.clip(outputs[f"obj_{s}"].reshape(-1), 0, 1)
        score = np.sqrt(cls * obj)
        keep = np.flatnonzero(score >= score_threshold)
        if keep.size == 0:
            continue
        r, c = (keep // cols).astype(np.float32), (keep % cols).astype(np.float32)
        b = outputs[f"bbox_{s}"].reshape(-1, 4)[keep]
        k = outputs[f"kps_{s}"].reshape(-1, 5, 2)[keep]
        w, h = np.exp(b[:, 2]) * s, np.exp(b[:, 3]) * s
        cx, cy = (c + b[:, 0]) * s, (r + b[:, 1]) * s
        boxes.append(np.stack([cx - w / 2, cy - h / 2, w, h], 1))
        kps.append(np.stack([(k[:, :, 0] + c[:, None]) * s, (k[:, :, 1] + r[:, None]) * s], 2))
        scores.append(score[keep])
    if not boxes:
        return []
    all_boxes, all_kps, all_scores = np.concatenate(boxes), np.concatenate(kps), np.concatenate(scores)
    keep = cv2.dnn.NMSBoxes(all_boxes.tolist(), all_scores.tolist(), score_threshold, nms_threshold, top_k=TOP_K)
    order = sorted(np.asarray(keep, int).reshape(-1).tolist(), key=lambda i: -all_scores[i])
    return [Detection(all_boxes[i].astype(np.float64), all_kps[i].astype(np.float64), float(all_scores[i]))
            for i in order]


class YuNetOnnx:
    """YuNet on a downscaled copy through onnxruntime; one instance per thread (one core each)."""

    def __init__(self, model_path: str | Path, settings: DetectorSettings, threads: int = 1) -> None:
        self._sess = cpu_session(model_path, threads)
        self._input = self._sess.get_inputs()[0].name
        self._names = [o.name for o in self._sess.get_outputs()]
        self.settings = settings

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        small, s = _downscale(rgb, self.settings.long_side)
        h, w = small.shape[:2]
        pad_h, pad_w = _pad(h), _pad(w)
        blob = np.zeros((1, 3, pad_h, pad_w), np.float32)
        blob[0, :, :h, :w] = small[:, :, ::-1].transpose(2, 0, 1)  # RGB → BGR planes, zero padding
        outputs = dict(zip(self._names, self._sess.run(None, {self._input: blob})))
        dets = decode(outputs, pad_h, pad_w, self.settings.score_threshold, self.settings.nms_threshold)
        return [d.scaled(1.0 / s) for d in dets]
