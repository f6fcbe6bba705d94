"""Quick to use (issue 11): a status message after each action that says what it did and how to
undo it; small unnamed groups out of the way; the least typical faces of a person first; naming
from the grid."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel, Qt

from faceapp.gui import services


def _select(view, rows):
    sm = view.grid.selectionModel()
    sm.clearSelection()
    for r in rows:
        sm.select(view.model.index(r), QItemSelectionModel.SelectionFlag.Select)
    view.grid.setFocus()


def _said(window) -> str:
    return window.statusBar().currentMessage()


def _shot(window, name: str) -> None:
    """Under a real X server, keep a picture of the window for a person to look at."""
    if os.environ.get("FACEAPP_SHOTS"):
        window.grab().save(os.path.join(os.environ["FACEAPP_SHOTS"], f"{name}.png"))


def test_each_action_says_what_it_did_with_undo(qtbot, window, settle):
    people = sorted(services.list_people(window.ctx.db), key=lambda p: -p.faces)
    big, small = people[0], people[1]
    view = window.open_person(small.id)
    settle(window)
    view.name.setText("Ann")
    view.rename()
    settle(window)
    assert _said(window) == f"Named Person {small.id} Ann · Undo (Ctrl+Z)"

    view = window.open_person(big.id)
    settle(window)
    view.name.setText("Alice")
    view.rename()
    settle(window)
    view.ask_merge = lambda me, other: True
    view.merge_target.setCurrentIndex(view.merge_target.findData(small.id))
    view.merge()
    settle(window)
    assert _said(window) == "Merged Ann into Alice · Undo (Ctrl+Z)"  # Ann's name outlives Ann
    _shot(window, "feedback_merge")

    _select(view, [0])
    qtbot.keyClick(view.grid, Qt.Key.Key_C)
    settle(window)
    assert _said(window) == "Confirmed 1 face as Alice · Undo (Ctrl+Z)"
    _select(view, [0, 1])
    qtbot.keyClick(view.grid, Qt.Key.Key_R)
    settle(window)
    assert _said(window) == "Took 2 faces out of Alice (not this person) · Undo (Ctrl+Z)"
    _select(view, [0])
    qtbot.keyClick(view.grid, Qt.Key.Key_N)
    settle(window)
    assert _said(window) == "Marked 1 face as not a face · Undo (Ctrl+Z)"
    _select(view, [0])
    qtbot.keyClick(view.grid, Qt.Key.Key_S)
    settle(window)
    assert _said(window).startswith("Split 1 face off Alice into Person ")
    view.hidden.click()
    settle(window)
    assert _said(window) == "Hid Alice · Undo (Ctrl+Z)"

    qtbot.keyClick(view.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    assert _said(window) == "Undone: hiding Alice"  # undo itself is not an action to announce
