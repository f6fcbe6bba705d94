"""Person and Review views: each action is one keystroke or click, lands in the library, and
undo takes it back."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QItemSelectionModel, Qt

from faceapp.gui import services


def _assigned(db_path, person_id):
    with sqlite3.connect(db_path) as conn:
        return {r[0] for r in conn.execute("SELECT face_id FROM face_assignments WHERE person_id = ?", [person_id])}


def _select(view, rows):
    sm = view.grid.selectionModel()
    sm.clearSelection()
    for r in rows:
        sm.select(view.model.index(r), QItemSelectionModel.SelectionFlag.Select)
    view.grid.setFocus()


def test_person_view_keyboard_actions_and_undo(qtbot, window, grouped_sample, settle):
    people = services.list_people(window.ctx.db)
    big = max(people, key=lambda p: p.faces)
    view = window.open_person(big.id)
    settle(window)
    assert view.model.total() == big.faces >= 3
    first = view.model.face_at(0).id

    _select(view, [0])
    qtbot.keyClick(view.grid, Qt.Key.Key_C)  # confirm
    settle(window)
    assert view.model.face_at(0).source == "confirmed"

    _select(view, [1])
    second = view.model.face_at(1).id
    qtbot.keyClick(view.grid, Qt.Key.Key_N)  # not a face
    settle(window)
    with sqlite3.connect(grouped_sample) as conn:
        assert conn.execute("SELECT 1 FROM not_faces WHERE face_id = ?", [second]).fetchone()
    assert second not in _assigned(grouped_sample, big.id)

    qtbot.keyClick(view.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo
    settle(window)
    assert second in _assigned(grouped_sample, big.id)
    assert "Undone" in window.statusBar().currentMessage() and "Redo" in window.statusBar().currentMessage()

    _select(view, [view.model.total() - 1])
    last = view.model.face_at(view.model.total() - 1).id
    qtbot.keyClick(view.grid, Qt.Key.Key_S)  # split off into a new person
    settle(window)
    assert last not in _assigned(grouped_sample, big.id)
    new_person = next(p for p in services.list_people(window.ctx.db) if last in {f.id for f in services.person_faces(window.ctx.db, p.id)})
    assert new_person.id != big.id and first in _assigned(grouped_sample, big.id)

    # Move a face to another person with the "Move selection to" control.
    target = view.move_target.itemData(0)
    _select(view, [view.model.total() - 1])
    moving = view.model.face_at(view.model.total() - 1).id
    view.move_target.setCurrentIndex(0)
    qtbot.mouseClick(view.move_button, Qt.MouseButton.LeftButton)
    settle(window)
    assert moving in _assigned(grouped_sample, target)

    # Hide the person: gone from the grid until "show hidden".
    view.hidden.click()
    settle(window)
    window.show_view("People")
    settle(window)
    shown = [window.people.model.person_at(r).id for r in range(window.people.model.rowCount())]
    assert big.id not in shown
    window.people.show_hidden.setChecked(True)
    settle(window)
    shown = [window.people.model.person_at(r).id for r in range(window.people.model.rowCount())]
    assert big.id in shown


def test_photo_dialog_boxes_every_face(qtbot, window, settle):
    big = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    view = window.open_person(big.id)
    settle(window)
    _select(view, [0])
    face = view.model.face_at(0)
    with qtbot.waitSignal(window.person.photo_requested, timeout=2000):
        qtbot.keyClick(view.grid, Qt.Key.Key_O)
    dlg = next(w for w in window.findChildren(type(window.open_photo(face.photo_id, face.path))))
    qtbot.waitUntil(lambda: dlg.label.pixmap() is not None and not dlg.label.pixmap().isNull(), timeout=10_000)
    assert any(f.face_id == face.id for f in dlg.faces)
    assert all(f.label for f in dlg.faces)


def test_review_accepts_and_rejects_with_the_keyboard(qtbot, window, grouped_sample, settle):
    review = window.show_view("Review")
    settle(window)
    if not review.items:
        return  # nothing uncertain in this library
    n = len(review.items)
    row = next((i for i, it in enumerate(review.items) if it.kind != "merge"), None)
    if row is None:
        return
    first = review.items[row]
    review.grid.setCurrentIndex(review.model.index(row))
    review.grid.setFocus()
    qtbot.keyClick(review.grid, Qt.Key.Key_Y)
    settle(window)
    with sqlite3.connect(grouped_sample) as conn:
        src = conn.execute("SELECT source FROM face_assignments WHERE face_id = ?", [first.face_id]).fetchone()
    assert src == ("confirmed",)
    assert first.face_id not in {it.face_id for it in review.items} and len(review.items) < n
    rows = [i for i, it in enumerate(review.items) if it.kind != "merge"][:2]
    if len(rows) == 2:
        a, b = review.items[rows[0]], review.items[rows[1]]
        _select(review, rows)
        qtbot.keyClick(review.grid, Qt.Key.Key_N)  # bulk reject
        settle(window)
        with sqlite3.connect(grouped_sample) as conn:
            for it in (a, b):
                assert conn.execute("SELECT 1 FROM face_rejections WHERE face_id = ? AND person_id = ?",
                                    [it.face_id, it.person_id]).fetchone()


def test_unsorted_faces_can_join_a_person(qtbot, window, grouped_sample, settle):
    if not services.unsorted_faces(window.ctx.db):
        return  # the stand-in clusters put every face in a person
    qtbot.mouseClick(window.people.unsorted_button, Qt.MouseButton.LeftButton)
    settle(window)
    view = window.person
    assert view.isVisible() and view.model.total() == len(services.unsorted_faces(window.ctx.db))
    assert not view.rename_button.isEnabled()
    face = view.model.face_at(0).id
    target = view.move_target.itemData(0)
    _select(view, [0])
    qtbot.keyClick(view.grid, Qt.Key.Key_M)
    settle(window)
    assert face in _assigned(grouped_sample, target)
    assert face not in {f.id for f in services.unsorted_faces(window.ctx.db)}


def test_regroup_keeps_names(qtbot, window, grouped_sample, settle):
    big = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    services.rename(window.ctx.db, big.id, "Kept")
    view = window.show_view("People")
    settle(window)
    task = view.regroup()
    with qtbot.waitSignal(task.succeeded, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: view.regroup_button.isEnabled())
    settle(window)
    assert "Kept" in [view.model.person_at(r).label for r in range(view.model.rowCount())]


def test_person_merged_away_returns_to_people(qtbot, window, settle):
    a, b = services.list_people(window.ctx.db)[:2]
    view = window.open_person(b.id)
    settle(window)
    window.ctx.act(services.merge, a.id, b.id)  # e.g. from the Review view
    settle(window)
    assert view.person_id is None and window.stack.currentWidget() is window.people


def test_a_photo_opened_from_a_person_steps_through_that_persons_photos(qtbot, window, settle):
    """The viewer opened from a person's page (its Photos or Faces tab asks the window through
    photo_requested) offers previous/next among that person's photos; it was opened without the
    person, so both stayed off."""
    from faceapp.gui.views.photo_dialog import PhotoDialog

    big = max(services.list_people(window.ctx.db), key=lambda p: p.photos)
    assert big.photos >= 2
    view = window.open_person(big.id)
    settle(window)
    face = view.model.face_at(0)
    view.photo_requested.emit(face.photo_id, face.path)
    qtbot.waitUntil(lambda: bool(window.findChildren(PhotoDialog)), timeout=5000)
    dlg = window.findChildren(PhotoDialog)[-1]
    assert dlg.person_id == big.id
    qtbot.waitUntil(lambda: dlg.prev_button.isEnabled() or dlg.next_button.isEnabled(), timeout=10_000)


def test_the_person_pages_undo_button_offers_redo(qtbot, window, settle):
    big = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    view = window.open_person(big.id)
    settle(window)
    _select(view, [0])
    qtbot.keyClick(view.grid, Qt.Key.Key_C)  # confirm
    settle(window)
    view.undo_button.click()
    settle(window)
    qtbot.waitUntil(lambda: "Undone" in window.statusBar().currentMessage(), timeout=5000)
    assert "Redo (Ctrl+Shift+Z)" in window.statusBar().currentMessage()
