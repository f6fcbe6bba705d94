"""One line of status text for a background job's progress reports (no Qt)."""

from __future__ import annotations

import math

# faceapp.core.cluster's stages (and recluster's reading/writing) in words
CLUSTER_STAGES = {"embedding": "embedding faces the model lacks", "reading": "reading faces", "neighbours": "finding look-alikes", "linking": "linking faces",
                  "refining": "checking each face", "chance": "checking lone pairs", "labels": "naming groups",
                  "writing": "saving"}


def _eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    m, s = divmod(int(seconds + 0.5), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def describe_progress(p: object) -> str:
    """One line for the status label from a ScanProgress (or a phase name)."""
    if isinstance(p, str):
        if p.startswith("clustering:"):
            return f"Grouping faces into people… ({CLUSTER_STAGES.get(p.split(':', 1)[1].strip(), p)})"
        return {"clustering": "Grouping faces into people…"}.get(p, p)
    return (f"{p.done} / {p.total} photos · {p.faces} faces · {p.errors} failed · "
            f"{p.rate:.1f} photos/s · ETA {_eta(p.eta)}")
