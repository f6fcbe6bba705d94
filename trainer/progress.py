"""The trainer's console printer for faceapp.progress.Progress: one self-overwriting line with the
stage, its steps, the trainer's text (loss, images per second), elapsed time and ETA."""

from __future__ import annotations

import sys
import time

from faceapp.progress import Progress


def _clock(s: float) -> str:
    m, s = divmod(int(s), 60)
    return f"{m}:{s:02d}"


_last = {"shown": 0.0, "stage": None, "since": 0.0, "done": 0}


def print_progress(p: Progress, stream=None) -> None:  # noqa: ANN001
    """At most twice a second (and always the last step). Elapsed time and ETA count from the
    stage's first report. The stream is sys.stderr as it is now (bound at import, it was a closed
    stream once stderr had been replaced)."""
    stream = stream or sys.stderr
    now = time.monotonic()
    if p.stage != _last["stage"]:
        _last.update(stage=p.stage, since=now, done=max(0, p.done - 1))
    if p.done < p.total and now - _last["shown"] < 0.5:
        return
    _last["shown"] = now
    elapsed, counted = now - _last["since"], p.done - _last["done"]
    eta = elapsed / counted * (p.total - p.done) if counted > 0 else 0.0
    end = "\n" if p.done >= p.total else ""
    stream.write(f"\r{p.stage}  {p.done}/{p.total}  {p.text}  elapsed {_clock(elapsed)}  ETA {_clock(eta)}   {end}")
    stream.flush()
