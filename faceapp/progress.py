"""One progress protocol for every long job: scan, clustering, export, re-embedding, training.

A job takes `progress: ProgressFn | None` and `stop: StopFn | None`. It calls `progress(Progress(...))`
as it goes and checks `stop()` between units of work; when `stop()` is true it ends cleanly with what
is written so far. The CLI renders `Progress` with tqdm, the GUI with its bar; neither guesses shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Where a job stands: `done` of `total` units of `stage` (total 0 = not known yet)."""

    stage: str
    done: int = 0
    total: int = 0
    text: str = ""

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total > 0 else None


ProgressFn = Callable[[Progress], None]
StopFn = Callable[[], bool]


def never_stop() -> bool:
    return False


def report(progress: ProgressFn | None, stage: str, done: int = 0, total: int = 0, text: str = "") -> None:
    """Call `progress` if there is one (jobs accept None)."""
    if progress is not None:
        progress(Progress(stage, done, total, text))
