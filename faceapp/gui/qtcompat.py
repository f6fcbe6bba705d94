"""Work around a PySide6 6.12 refcount bug: `Signal.emit()` from Python returns True without a
new reference, so every emit takes one reference off `True`; after a few thousand emits (one per
thumbnail, one per progress tick) Python aborts with "bool_dealloc: deallocating True or False".

`emit(signal, *args)` emits and hands the stolen reference back. A probe at import decides whether
this PySide6 has the bug, so a fixed release costs nothing. Every Python-side emit in faceapp.gui
goes through here.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


def _emit_steals_a_reference() -> bool:
    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit()
    return sys.getrefcount(True) < before


EMIT_LEAKS = _emit_steals_a_reference()


def emit(signal: Any, *args: Any) -> None:
    result = signal.emit(*args)
    if EMIT_LEAKS and isinstance(result, bool):
        _incref(result)  # the reference emit() should have given us; dropped with `result`
