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
    assert _said(window) == f"Named Person {small.id} “Ann” · Undo (Ctrl+Z)"

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
    assert _said(window) == "Undone: Hid Alice · Redo (Ctrl+Shift+Z)"  # undo offers redo


def _tiles(window) -> list:
    m = window.people.model
    return [m.person_at(r) for r in range(m.rowCount())]


def test_small_groups_out_of_the_way_and_bulk_hide_or_not_a_face(qtbot, window, settle):
    big = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    faces = [f.id for f in services.person_faces(window.ctx.db, big.id)]
    assert len(faces) >= 7
    services.split(window.ctx.db, big.id, faces[:2])  # two groups of 2 faces, as a stranger's would be
    services.split(window.ctx.db, big.id, faces[2:4])
    window.ctx.notify("people")
    settle(window)
    small = [p for p in services.list_people(window.ctx.db) if p.name is None and p.faces < 3]
    assert len(small) >= 2
    view = window.show_view("People")
    settle(window)
    assert view.hide_small.isChecked()
    shown = {p.id for p in _tiles(window)}
    assert not shown & {p.id for p in small} and shown
    assert f"{len(small)} small groups not shown" in view.summary.text()
    assert view.summary.text().startswith(f"{len(shown)} people")
    _shot(window, "people_small_hidden")

    view.hide_small.setChecked(False)
    assert {p.id for p in small} <= {p.id for p in _tiles(window)}
    assert "small groups" not in view.summary.text()
    # Select two small groups: H hides both as one step; undo brings both back.
    rows = [r for r, p in enumerate(_tiles(window)) if p.id in {small[0].id, small[1].id}]
    _select(view, rows)
    qtbot.keyClick(view.grid, Qt.Key.Key_H)
    settle(window)
    assert _said(window) == "Hid 2 people · Undo (Ctrl+Z)"
    hidden = {p.id for p in services.list_people(window.ctx.db, True) if p.hidden}
    assert {small[0].id, small[1].id} <= hidden
    qtbot.keyClick(view.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    settle(window)
    assert not {small[0].id, small[1].id} & {p.id for p in services.list_people(window.ctx.db, True) if p.hidden}

    # N: every face of the selected groups is not a face; the groups leave the grid.
    rows = [r for r, p in enumerate(_tiles(window)) if p.id in {small[0].id, small[1].id}]
    _select(view, rows)
    qtbot.keyClick(view.grid, Qt.Key.Key_N)
    settle(window)
    n = small[0].faces + small[1].faces
    assert _said(window) == f"Marked {n} faces as not a face · Undo (Ctrl+Z)"
    left = {p.id for p in services.list_people(window.ctx.db, True)}
    assert small[0].id not in left and small[1].id not in left
    assert not {small[0].id, small[1].id} & {p.id for p in _tiles(window)}


def test_named_first_and_f2_names_a_tile_in_place(qtbot, window, settle):
    people = services.list_people(window.ctx.db)
    last = min((p for p in people if p.faces >= 3), key=lambda p: p.photos)
    services.rename(window.ctx.db, last.id, "Zoe")
    window.ctx.notify("people")
    view = window.show_view("People")
    settle(window)
    assert _tiles(window)[0].id == last.id  # named people first in the default order

    row = 1
    target = _tiles(window)[row]
    assert target.name is None
    _select(view, [row])
    view.grid.setCurrentIndex(view.model.index(row))
    qtbot.keyClick(view.grid, Qt.Key.Key_F2)
    editor = view.grid.focusWidget()
    assert editor is not view.grid and editor.text() == "" and editor.placeholderText() == f"Name {target.label}"
    qtbot.keyClicks(editor, "Bob")
    _shot(window, "people_f2_editor")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # (the delegate commits on the next turn of the event loop)
    qtbot.waitUntil(lambda: services.person(window.ctx.db, target.id).name == "Bob", timeout=5000)
    settle(window)
    assert _said(window) == f"Named Person {target.id} “Bob” · Undo (Ctrl+Z)"
    assert {t.name for t in _tiles(window)[:2]} == {"Zoe", "Bob"}
    _shot(window, "people_named_first")


def test_least_like_this_person_first_puts_the_wrong_face_on_top(qtbot, window, settle):
    a, b = sorted(services.list_people(window.ctx.db), key=lambda p: -p.faces)[:2]
    stranger = services.person_faces(window.ctx.db, b.id)[0].id
    services.move(window.ctx.db, [stranger], a.id)  # a face of b put in a by mistake
    view = window.open_person(a.id)
    settle(window)
    assert view.model.face_at(0).id != stranger
    view.order.setCurrentIndex(view.order.findData(True))
    settle(window)
    assert view.model.face_at(0).id == stranger
    assert view.model.total() == a.faces + 1
    _shot(window, "person_least_like_first")


def test_several_decisions_in_one_action_say_how_many(qtbot, window, settle):
    a = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    f1, f2 = (f.id for f in services.person_faces(window.ctx.db, a.id)[:2])

    def answer_two(db):  # as Review's "accept all" does: one decision per question
        services.confirm(db, [f1], a.id)
        services.confirm(db, [f2], a.id)

    window.ctx.act(answer_two)
    settle(window)
    assert _said(window) == f"Confirmed 1 face as {a.label} (the last of 2 decisions) · Undo (Ctrl+Z) takes back one"
