"""What a fine-tune gave the user, in one sentence: an improvement (by how much, on the held-out
faces of the user's own people) or "no improvement found; your model is unchanged".

Shared by `faceapp train` and the GUI's Improve recognition, so both say the same thing. A run
counts as unchanged when the trainer's selection kept the base model (epoch 0 or a blend of weight
0), or when no held-out figure rose by more than NOISE: a few hundred held-out faces cannot tell
apart models closer than that, and a "new" model that is the old one within noise is nothing to
switch to.
"""

from __future__ import annotations

from dataclasses import dataclass

NOISE = 0.005  # half a point of TAR@FAR1e-3 or BCubed F on the held-out faces
UNCHANGED = "no improvement found; your model is unchanged"


@dataclass
class Outcome:
    improved: bool
    message: str
    gain: float = 0.0  # points of the figure that rose most (TAR@FAR1e-3 or BCubed F), 0 when unchanged


def _figures(ev: dict | None) -> dict[str, float]:
    if not ev:
        return {}
    return {"TAR@FAR1e-3": ev["verification"]["tar_at_far1e-3"], "BCubed F": ev["clustering"]["bcubed_f"]}


def outcome(report: dict) -> Outcome:
    """The outcome of run_finetune's report (its 'selection', 'before' and 'after')."""
    kept = (report.get("selection") or {}).get("kept") or {}
    adapted = bool((report.get("adaptation") or {}).get("kept"))
    if kept and (kept.get("epoch") == 0 or kept.get("alpha") == 0) and not adapted:
        return Outcome(False, f"{UNCHANGED} (training found nothing better on your people's held-out faces)")
    before = _figures((report.get("before") or {}).get("heldout"))
    after = _figures((report.get("after") or {}).get("heldout"))
    if not before or not after:
        return Outcome(False, f"{UNCHANGED} (too few faces per person to measure a difference)")
    gains = {k: after[k] - before[k] for k in before}
    best = max(gains, key=gains.get)
    if gains[best] <= NOISE:
        return Outcome(False, f"{UNCHANGED} (the trained model is within noise of it on your people's held-out faces)")
    held = report.get("heldout_faces")
    on = f"on {held} held-out faces of your people" if held else "on the held-out faces of your people"
    parts = ", ".join(f"{k} {before[k] * 100:.1f} → {after[k] * 100:.1f} ({gains[k] * 100:+.1f} points)" for k in before)
    return Outcome(True, f"improved {on}: {parts}", round(gains[best] * 100, 2))
