"""Embed aligned crops with an ONNX model through onnxruntime (CUDA when present and asked for).

The model's metadata decides the preprocessing; outputs are L2-normalised float32. The session is
created lazily under a lock and sits behind a tiny protocol so tests can inject a stub.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from faceapp.core.modelmeta import ModelInfo
from faceapp.types import Device


class Session(Protocol):
    def run(self, output_names, feeds): ...  # noqa: ANN001


def choose_providers(device: Device = "auto") -> list[str]:
    """Execution providers to ask for; 'auto' takes CUDA when the installed onnxruntime offers it."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" in available:
        _preload_cuda(ort)
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "cuda":
        raise RuntimeError(
            "CUDA was asked for but this onnxruntime has no CUDA provider; install onnxruntime-gpu "
            "(see README, 'GPU')"
        )
    return ["CPUExecutionProvider"]


def _preload_cuda(ort) -> None:  # noqa: ANN001 (the onnxruntime module)
    """onnxruntime-gpu 1.21+ finds the CUDA/cuDNN libraries that pip installed (onnxruntime-gpu[cuda,cudnn])
    only after preload_dlls(); without it the session quietly falls back to the CPU. Harmless when the
    system's CUDA is used instead."""
    preload = getattr(ort, "preload_dlls", None)
    if preload is not None:
        try:
            preload()
        except Exception:  # noqa: BLE001 (a system-wide CUDA install needs no preload)
            pass


def l2_normalize(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


class Embedder:
    def __init__(
        self,
        model_path: str | Path,
        info: ModelInfo | None = None,
        device: Device = "auto",
        batch_size: int | None = None,
        flip_tta: bool = False,
        threads: int = 0,
        session: Session | None = None,
    ) -> None:
        self.model_path = str(model_path)
        self.device = device
        self.batch_size = batch_size
        self.flip_tta = flip_tta
        self.threads = threads
        self._session = session
        self._info = info
        self._lock = threading.Lock()
        self.provider = "stub" if session is not None else ""

    def _load(self) -> Session:
        with self._lock:
            if self._session is None:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.log_severity_level = 3
                if self.threads:
                    opts.intra_op_num_threads = self.threads
                # Busy-waiting pool threads would steal the cores the decode/detect threads need.
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                providers = choose_providers(self.device)
                model: str | bytes = self.model_path
                if providers == ["CPUExecutionProvider"]:
                    from faceapp.core.onnx_rewrite import fast_model_bytes

                    model = fast_model_bytes(self.model_path) or self.model_path
                sess = ort.InferenceSession(model, opts, providers=providers)
                # The providers the session really got, not the ones asked for.
                self.provider = sess.get_providers()[0]
                if self._info is None:
                    self._info = ModelInfo.from_props(dict(sess.get_modelmeta().custom_metadata_map))
                self._input = sess.get_inputs()[0].name
                self._session = sess
            return self._session

    @property
    def info(self) -> ModelInfo:
        self._load()
        assert self._info is not None
        return self._info

    def default_batch(self) -> int:
        """Faces per session run: on a CPU small batches stay in the cache (1–2 faces per run are
        ~15 % cheaper per face than 8 with SFace); a GPU wants large ones."""
        self._load()
        return 2 if self.provider in ("CPUExecutionProvider", "stub") else 64

    def preprocess(self, crops_rgb: np.ndarray) -> np.ndarray:
        """N×H×W×3 RGB uint8 → N×3×H×W float32 as the model's metadata says."""
        info = self.info
        x = np.asarray(crops_rgb)
        if x.ndim == 3:
            x = x[None]
        if x.shape[1] != info.input_size or x.shape[2] != info.input_size:
            raise ValueError(f"crops are {x.shape[1]}×{x.shape[2]}, model wants {info.input_size}")
        if info.color_order == "BGR":
            x = x[..., ::-1]
        x = x.transpose(0, 3, 1, 2).astype(np.float32)
        if info.mean != 0.0 or info.std != 1.0:
            x = (x - info.mean) / info.std
        return np.ascontiguousarray(x)

    def _run(self, x: np.ndarray) -> np.ndarray:
        sess = self._load()
        name = getattr(self, "_input", "data")
        return np.asarray(sess.run(None, {name: x})[0], dtype=np.float32).reshape(len(x), -1)

    def embed(self, crops_rgb: np.ndarray) -> np.ndarray:
        """Embeddings of aligned RGB crops, L2-normalised, N×D float32."""
        crops_rgb = np.asarray(crops_rgb)
        if crops_rgb.ndim == 3:
            crops_rgb = crops_rgb[None]
        if len(crops_rgb) == 0:
            return np.zeros((0, self.info.embedding_size), np.float32)
        out = []
        bs = self.batch_size or self.default_batch()
        for i in range(0, len(crops_rgb), bs):
            x = self.preprocess(crops_rgb[i : i + bs])
            e = self._run(x)
            if self.flip_tta:
                e = l2_normalize(e) + l2_normalize(self._run(np.ascontiguousarray(x[..., ::-1])))
            out.append(e)
        return l2_normalize(np.concatenate(out))
