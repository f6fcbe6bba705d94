"""PySide6 6.12.0 on Python < 3.12 (where None and True are not immortal) returns None from
every void method and True from `Signal.emit()` without a new reference: each call takes one
reference away, and after some thousands of calls Python aborts ("none_dealloc" /
"bool_dealloc"). 6.11.3 is clean. There is no workaround for every void call, so
`BROKEN_PYSIDE` is checked at start-up and by a test, which both say to install
PySide6-Essentials<6.12. Two of the bugs are cheap to work around, and are, in case that build
is used anyway:

- `Signal.emit()` from Python returns True without a new reference, so every emit takes one
  reference off `True`; a few thousand emits (one per thumbnail, one per progress tick) and
  Python aborts with "bool_dealloc". `emit(signal, *args)` emits and hands the reference back.
- An empty QVariant read from Python (`QComboBox.currentData()` on an item without data or an
  empty combo, `itemData`, `QModelIndex.data`) comes back as None without a new reference
  ("none_dealloc"). `variant(value)` hands it back: `variant(combo.currentData())`.

Probes at import decide whether this PySide6 has each bug, so a fixed release costs nothing. Every
Python-side emit and every such read in faceapp.gui goes through here.
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


def _empty_variant_steals_none() -> bool:
    from PySide6.QtCore import QModelIndex

    before = sys.getrefcount(None)
    for _ in range(4):
        QModelIndex().data()
    return sys.getrefcount(None) < before


NONE_LEAKS = _empty_variant_steals_none()


def _void_call_steals_none() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(4):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


BROKEN_PYSIDE = _void_call_steals_none() or EMIT_LEAKS
ADVICE = ("this PySide6 build loses references to None/True on every call and will crash faceapp; "
          "install another: pip install 'PySide6-Essentials>=6.6,<6.12'")


def variant(value: Any) -> Any:
    """Pass a QVariant-returning call's result through this (see the module docstring)."""
    if value is None and NONE_LEAKS:
        _incref(None)
    return value


def emit(signal: Any, *args: Any) -> None:
    result = signal.emit(*args)
    if EMIT_LEAKS and isinstance(result, bool):
        _incref(result)  # the reference emit() should have given us; dropped with `result`
