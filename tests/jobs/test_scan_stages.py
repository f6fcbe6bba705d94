"""`faceapp bench scan --parts stages`: each stage gets its own CPU time, not its callees'."""

from __future__ import annotations

import time
import types

from faceapp.bench.scan_bench import StageClock


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_stage_time_excludes_wrapped_callees_and_restores():
    mod = types.SimpleNamespace()
    mod.inner = lambda: _spin(0.03)

    def outer():
        _spin(0.01)
        mod.inner()

    mod.outer = outer
    original_inner = mod.inner
    clock = StageClock()
    clock.wrap(mod, "inner", "inner")
    clock.wrap(mod, "outer", "outer")
    mod.outer()
    mod.outer()
    assert clock.calls == {"inner": 2, "outer": 2}
    assert clock.cpu["inner"] >= 0.06
    assert 0.02 <= clock.cpu["outer"] < 0.05  # its own 2 × 10 ms, not the inner 60 ms
    clock.restore()
    assert mod.inner is original_inner and mod.outer is outer
