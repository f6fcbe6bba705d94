"""Multi-select merge in the People grid (issue 11): several tiles → Merge… → a question that shows
every person's cover face and name and which name is kept; one undo takes the whole merge back."""

from __future__ import annotations

import os

from PySide6.QtCore import QItemSelectionModel, Qt

from faceapp.gui import services
from faceapp.gui.views.merge_question import MergeDialog
from faceapp.storage.people import person_row


def _select(view, ids):
    sm = view.grid.selectionModel()
    sm.clearSelection()
    for r in range(view.model.rowCount()):
        if view.model.person_at(r).id in ids:
            sm.select(view.model.index(r), QItemSelectionModel.SelectionFlag.Select)
    view.grid.setFocus()


def _three(window, settle):
    db = window.ctx.db
    a, b, c = sorted(services.list_people(db), key=lambda p: -p.faces)[:3]
    window.ctx.act(services.rename, b.id, "Bea")
    settle(window)
    view = window.show_view("People")
    settle(window)
    return view, a, b, c


def test_merge_of_three_selected_people_is_one_undo_step(qtbot, window, settle):
    db = window.ctx.db
    view, a, b, c = _three(window, settle)
    faces = {p.id: {f.id for f in services.person_faces(db, p.id)} for p in (a, b, c)}
    asked = []
    view.ask_merge = lambda people: asked.append(sorted(p.id for p in people)) or next(p for p in people if p.id == b.id)
    _select(view, {a.id, b.id, c.id})
    qtbot.keyClick(view.grid, Qt.Key.Key_M)
    settle(window)
    assert asked == [sorted([a.id, b.id, c.id])]  # asked once, about all three
    assert person_row(db, a.id) is None and person_row(db, c.id) is None
    assert {f.id for f in services.person_faces(db, b.id)} >= faces[a.id] | faces[c.id]
    said = window.statusBar().currentMessage()
    assert said == f"Merged {' and '.join(p.label for p in sorted((a, c), key=lambda p: p.id))} into Bea · Undo (Ctrl+Z)", said
    qtbot.keyClick(view.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one undo: all three are back
    settle(window)
    for p in (a, b, c):
        assert {f.id for f in services.person_faces(db, p.id)} == faces[p.id]


def test_cancel_merges_nothing_and_one_tile_is_not_enough(qtbot, window, settle):
    db = window.ctx.db
    view, a, b, c = _three(window, settle)
    view.ask_merge = lambda people: None
    _select(view, {a.id, c.id})
    view.merge_selected()
    settle(window)
    assert person_row(db, a.id) is not None and person_row(db, c.id) is not None
    view.ask_merge = lambda people: (_ for _ in ()).throw(AssertionError("asked about one person"))
    _select(view, {a.id})
    view.merge_selected()
    assert "two or more" in window.statusBar().currentMessage()


def test_the_question_shows_every_person_and_the_name_kept(qtbot, window, settle):
    view, a, b, c = _three(window, settle)
    people = [p for p in services.list_people(window.ctx.db) if p.id in (a.id, b.id, c.id)]
    dlg = MergeDialog(window, window.thumbs, people)
    qtbot.addWidget(dlg)
    dlg.show()
    labels = [btn.text() for btn in dlg.choice.buttons()]
    assert len(labels) == 3 and all(any(p.label in t for t in labels) for p in people)
    assert all(not cover.pixmap().isNull() for cover in dlg.covers)  # every cover face is drawn
    assert dlg.keep().id == b.id  # the named person is kept unless the user picks another
    assert "called <b>Bea</b>" in dlg.outcome.text()
    other = next(i for i, p in enumerate(people) if p.id == a.id)
    dlg.choice.button(other).setChecked(True)  # keep an unnamed one: the faces join it, Bea's name stays
    assert dlg.keep().id == a.id and f"joins <b>{a.label}</b>" in dlg.outcome.text()
    assert "called <b>Bea</b>" in dlg.outcome.text()
    if os.environ.get("FACEAPP_SHOTS"):
        dlg.grab().save(os.path.join(os.environ["FACEAPP_SHOTS"], "merge_many.png"))
