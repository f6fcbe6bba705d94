"""Progress of long work: one record type and a console printer with rate and ETA."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass


@dataclass
class Progress:
    stage: str
    step: int
    steps: int
    items: int  # images processed in this stage so far
    seconds: float
    loss: float

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta(self) -> float:
        return self.seconds / self.step * (self.steps - self.step) if self.step else 0.0


def _clock(s: float) -> str:
    m, s = divmod(int(s), 60)
    return f"{m}:{s:02d}"


_last = [0.0]


def print_progress(p: Progress, stream=None) -> None:  # noqa: ANN001
    """One self-overwriting line, at most twice a second (and always the last step). The stream is
    sys.stderr as it is now (bound at import, it was a closed stream once stderr had been replaced)."""
    stream = stream or sys.stderr
    now = time.monotonic()
    if p.step < p.steps and now - _last[0] < 0.5:
        return
    _last[0] = now
    end = "\n" if p.step >= p.steps else ""
    stream.write(f"\r{p.stage}  {p.step}/{p.steps}  loss {p.loss:.4f}  {p.rate:.0f} img/s  "
                 f"elapsed {_clock(p.seconds)}  ETA {_clock(p.eta)}   {end}")
    stream.flush()
