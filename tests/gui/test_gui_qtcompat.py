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


def test_reading_empty_item_data_keeps_none_alive(qtbot):
    from PySide6.QtWidgets import QComboBox

    from faceapp.gui.qtcompat import variant

    combo = QComboBox()
    combo.addItem("no data")
    before = sys.getrefcount(None)
    for _ in range(5000):
        assert variant(combo.currentData()) is None
    assert abs(sys.getrefcount(None) - before) < 50


def test_this_pyside6_does_not_lose_references():
    """PySide6 6.12.0 (Python < 3.12) steals a reference to None on every void call: the app
    would abort after a while. Pin PySide6-Essentials<6.12 (6.11.3 is clean)."""
    from faceapp.gui.qtcompat import ADVICE, BROKEN_PYSIDE

    assert not BROKEN_PYSIDE, ADVICE
