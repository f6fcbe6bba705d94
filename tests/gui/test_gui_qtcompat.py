"""Emitting a signal many times must not eat references to True (PySide6 6.12 bug, see qtcompat)."""

import sys

from PySide6.QtCore import QObject, Signal

from faceapp.gui.qtcompat import emit


class _Sender(QObject):
    ping = Signal(int)


def test_emit_keeps_true_alive():
    s = _Sender()
    got = []
    s.ping.connect(got.append)
    before = sys.getrefcount(True)
    for i in range(5000):
        emit(s.ping, i)
    assert len(got) == 5000
    assert abs(sys.getrefcount(True) - before) < 50
