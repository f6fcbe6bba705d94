"""One way to build a small CPU onnxruntime session for a per-thread worker (detectors)."""

from __future__ import annotations

from pathlib import Path


def cpu_session(model_path: str | Path, threads: int = 1):  # noqa: ANN201 — onnxruntime.InferenceSession
    """A CPU session on `threads` threads that never busy-waits (the scan's pool owns the cores)."""
    import onnxruntime as ort

    if not Path(model_path).is_file():
        raise FileNotFoundError(f"detector model not found: {model_path}")
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])
