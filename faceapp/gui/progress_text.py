"""One line of status text for a long job's `Progress` (no Qt): the stage in words, done of total,
the job's own text, rate and time left (see faceapp.gui.progress_view for the bar beside it)."""

from __future__ import annotations

import math
import time

from faceapp.progress import Progress

# stage -> (words, unit counted by done/total; None: the figures are steps, not worth a rate)
STAGES: dict[str, tuple[str, str | None]] = {
    "scanning": ("Scanning photos", "photos"),
    "embedding": ("Embedding faces the model lacks", "faces"),
    "clustering": ("Grouping faces into people", None),
    "exporting": ("Exporting", "photos"),
    "preparing": ("Preparing", None),
    "importing": ("Adding the model", None),
}


def _eta(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    m, s = divmod(int(seconds + 0.5), 60)
    return f"{m} min {s:02d} s" if m else f"{s} s"


def describe_progress(p: Progress, rate: float | None = None) -> str:
    """One line for the status label; `rate` (units per second) adds the rate and the time left."""
    words, unit = STAGES.get(p.stage, (p.stage[:1].upper() + p.stage[1:], ""))
    if unit is None or p.total <= 0:
        return f"{words}…" + (f" ({p.text})" if p.text else "")
    parts = [f"{words}: {p.done} / {p.total}" + (f" {unit}" if unit else "")]
    if p.text:
        parts.append(p.text)
    if rate is not None:
        parts += [f"{rate:.1f} {unit or 'items'}/s", f"ETA {_eta((p.total - p.done) / rate if rate > 0 else math.inf)}"]
    return " · ".join(parts)


class ProgressLine:
    """Remembers when the current stage began, so each line can say the rate and the time left."""

    def __init__(self, clock=time.monotonic) -> None:  # noqa: ANN001
        self._clock = clock
        self._stage: str | None = None
        self._t0 = 0.0
        self._done0 = 0

    def __call__(self, p: Progress) -> str:
        now = self._clock()
        if p.stage != self._stage or p.done < self._done0:
            self._stage, self._t0, self._done0 = p.stage, now, p.done
        elapsed = now - self._t0
        rate = (p.done - self._done0) / elapsed if elapsed > 0 and p.done > self._done0 else None
        return describe_progress(p, rate)
