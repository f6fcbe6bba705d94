"""Redo beside Undo (issue 11): after an undo the status bar offers Redo, and Ctrl+Shift+Z or
Ctrl+Y does the step again."""

from __future__ import annotations

from PySide6.QtCore import Qt

from faceapp.gui import services
from faceapp.storage.people import person_row

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _said(window) -> str:
    return window.statusBar().currentMessage()


def test_undo_offers_redo_and_redo_does_the_merge_again(qtbot, window, settle):
    db = window.ctx.db
    a, b = sorted(services.list_people(db), key=lambda p: -p.faces)[:2]
    window.ctx.act(services.rename, a.id, "Alice")
    window.ctx.act(services.rename, b.id, "Ann")
    window.ctx.act(services.merge, a.id, b.id)
    settle(window)
    assert _said(window) == "Merged Ann into Alice · Undo (Ctrl+Z)"
    merged = {f.id for f in services.person_faces(db, a.id)}
    people = window.show_view("People")
    settle(window)
    people.grid.setFocus()

    qtbot.keyClick(people.grid, Qt.Key.Key_Z, CTRL)
    settle(window)
    assert _said(window) == "Undone: Merged Ann into Alice · Redo (Ctrl+Shift+Z)"
    assert person_row(db, b.id)["name"] == "Ann"

    qtbot.keyClick(people.grid, Qt.Key.Key_Z, CTRL | SHIFT)
    settle(window)
    assert _said(window) == "Redone: Merged Ann into Alice · Undo (Ctrl+Z)"
    assert person_row(db, b.id) is None and {f.id for f in services.person_faces(db, a.id)} == merged

    qtbot.keyClick(people.grid, Qt.Key.Key_Z, CTRL)  # undo the merge again, then the rename of Ann
    qtbot.keyClick(people.grid, Qt.Key.Key_Z, CTRL)
    settle(window)
    assert person_row(db, b.id)["name"] is None
    qtbot.keyClick(people.grid, Qt.Key.Key_Y, CTRL)  # Ctrl+Y redoes too: the rename first
    settle(window)
    assert _said(window) == f"Redone: Named {b.label} “Ann” · Undo (Ctrl+Z)"
    assert person_row(db, b.id)["name"] == "Ann"


def test_nothing_to_redo_after_a_new_decision(qtbot, window, settle):
    db = window.ctx.db
    a, b = services.list_people(db)[:2]
    window.ctx.act(services.rename, a.id, "Alice")
    settle(window)
    window.people.grid.setFocus()
    qtbot.keyClick(window.people.grid, Qt.Key.Key_Z, CTRL)
    settle(window)
    window.ctx.act(services.rename, b.id, "Bob")
    settle(window)
    qtbot.keyClick(window.people.grid, Qt.Key.Key_Z, CTRL | SHIFT)
    settle(window)
    assert _said(window) == "Nothing to redo"
    assert person_row(db, a.id)["name"] is None
