"""What a person sees in the window (issue 11): one page at a time, full person tiles, Escape back
from a person, plain words after undo and training, a merge that asks first, the scan's real
progress. Run them under a real X server too: FACEAPP_TEST_X=1 xvfb-run pytest tests/gui."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QWidget

from faceapp.gui import services


def _visible_strays(win) -> list[str]:
    """Widgets under the page stack that are visible but belong to no current page, and visible
    widgets of the current page lying outside the window."""
    current = win.stack.currentWidget()
    bad = []
    for i in range(win.stack.count()):
        page = win.stack.widget(i)
        if page is not current and page.isVisible():
            bad.append(f"page {type(page).__name__} visible under {type(current).__name__}")
    inside = QRect(0, 0, win.width(), win.height())
    for w in current.findChildren(QWidget):
        if not w.isVisible() or w.isWindow():
            continue
        top_left = w.mapTo(win, w.rect().topLeft())
        rect = QRect(top_left, w.size())
        if not inside.contains(rect):
            bad.append(f"{type(w).__name__} {rect} outside the window {inside}")
    return bad


def _check_every_page(win, settle) -> None:
    for title in list(win.pages):
        win.show_view(title)
        settle(win)
        assert _visible_strays(win) == [], title
    people = win.people.model
    if people.rowCount():
        win.open_person(people.person_at(0).id)
        settle(win)
        assert _visible_strays(win) == [], "person"


def test_only_the_current_page_shows(qtbot, window, settle, tmp_path):
    _check_every_page(window, settle)
    window.resize(900, 640)
    settle(window)
    _check_every_page(window, settle)
    new = window.open_library(tmp_path / "new.db")  # File → New library
    assert new is not None
    qtbot.addWidget(new)
    settle(new)
    assert new.stack.currentWidget() is new.first_run  # an empty library opens on the first-run page
    assert _visible_strays(new) == [], "first run"
    _check_every_page(new, settle)
    new.close()


def _tiles_ok(view) -> list[str]:
    grid, model = view.grid, view.model
    bad = []
    for row in range(model.rowCount()):
        idx = model.index(row)
        rect = grid.visualRect(idx)
        text = model.data(idx, Qt.ItemDataRole.DisplayRole) or ""
        if rect.height() < grid.iconSize().height() + 18 or not text.strip():
            bad.append(f"row {row}: {rect.height()} px, {text!r}")
    return bad


def test_people_grid_tiles_keep_their_height_with_an_emptied_person(qtbot, window, grouped_sample, settle):
    people = services.list_people(window.ctx.db)
    small = min(people, key=lambda p: p.faces)
    ids = [f.id for f in services.person_faces(window.ctx.db, small.id)]
    services.not_a_face(window.ctx.db, ids)  # every face of a person: "not a face"
    window.ctx.notify("people")
    view = window.show_view("People")
    settle(window)
    assert _tiles_ok(view) == []  # the old grid: every tile a 28-px strip
    assert small.id not in {view.model.person_at(r).id for r in range(view.model.rowCount())}
    assert f"{view.model.rowCount()} people" in view.summary.text()
    services.undo(window.ctx.db)  # undo brings the person back, with their faces
    window.ctx.notify("people")
    settle(window)
    assert small.id in {view.model.person_at(r).id for r in range(view.model.rowCount())}
    assert _tiles_ok(view) == []


def test_a_tile_without_a_picture_keeps_its_height(qtbot, window, settle):
    view = window.show_view("People")
    settle(window)
    people = services.list_people(window.ctx.db)
    people[-1].cover_face = None  # e.g. a person whose picture is not known yet (the last tile sets the size)
    view.model.set_people(people)
    settle(window)
    assert _tiles_ok(view) == []


def test_people_count_leaves_out_hidden_people(qtbot, window, settle):
    people = services.list_people(window.ctx.db)
    services.set_hidden(window.ctx.db, people[-1].id, True)
    window.ctx.notify("people")
    view = window.show_view("People")
    settle(window)
    assert view.model.rowCount() == len(people) - 1
    assert view.summary.text().startswith(f"{len(people) - 1} people")


def test_escape_in_a_person_goes_back_to_people(qtbot, window, settle):
    person = services.list_people(window.ctx.db)[0]
    view = window.open_person(person.id)
    settle(window)
    window.activateWindow()  # a window shortcut: under a real X server only the active window gets it
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    view.grid.setFocus()
    with qtbot.waitSignal(view.back, timeout=2000):
        qtbot.keyClick(view.grid, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.people


def test_undo_says_what_it_undid_in_words(qtbot, window, settle):
    person = services.list_people(window.ctx.db)[0]
    face = services.person_faces(window.ctx.db, person.id)[0].id
    services.not_a_face(window.ctx.db, [face])
    view = window.open_person(person.id)
    settle(window)
    view.undo()
    settle(window)
    qtbot.waitUntil(lambda: "Undone" in window.statusBar().currentMessage(), timeout=5000)
    text = window.statusBar().currentMessage()
    assert "{" not in text and "[" not in text and "not a face" in text, text


def test_merge_asks_first_and_shows_both_people(qtbot, window, grouped_sample, settle):
    people = services.list_people(window.ctx.db)
    a, b = people[0], people[1]
    view = window.open_person(a.id)
    settle(window)
    view.merge_target.setCurrentIndex(view.merge_target.findData(b.id))
    asked = []
    view.ask_merge = lambda me, other: asked.append((me.label, other.label)) or False
    view.merge()
    settle(window)
    assert asked == [(a.label, b.label)]
    assert b.id in {p.id for p in services.list_people(window.ctx.db)}  # "No": nothing merged
    view.ask_merge = lambda me, other: True
    view.merge()
    settle(window)
    assert b.id not in {p.id for p in services.list_people(window.ctx.db)}


def test_one_word_for_unnamed_people(db):
    from faceapp.types import Person, person_label

    assert person_label(7, None) == Person(7, None).label == "Person 7" and Person(7, "Ann").label == "Ann"


def test_training_that_kept_the_base_model_offers_nothing(qtbot, window, tmp_path):
    view = window.show_view("Improve recognition")
    same = {"TAR @ FAR 1e-3": 0.8, "10-fold accuracy": 0.9, "BCubed F": 0.7, "NMI": 0.6}
    report = services.TrainReport(str(tmp_path / "model.onnx"), None, None, dict(same), dict(same), kept_base=True)
    view.show_report(report)
    assert not view.accept_button.isEnabled()
    assert "Trained" not in view.status.text() and "nothing" in view.status.text().lower()
    better = services.TrainReport(str(tmp_path / "model.onnx"), None, None, dict(same), {**same, "NMI": 0.7})
    view.show_report(better)
    assert view.accept_button.isEnabled()


def test_kept_base_is_read_from_the_trainer_report():
    from faceapp.gui.services.training import kept_base

    assert kept_base({"selection": {"kept": {"epoch": 0, "alpha": 0.0}}}, {"a": 1.0}, {"a": 2.0})
    assert kept_base({"selection": None}, {"a": 1.0}, {"a": 1.0})  # every figure equal
    assert not kept_base({"selection": {"kept": {"epoch": 3, "alpha": 0.6}}}, {"a": 1.0}, {"a": 1.1})


def test_a_cancelled_scan_does_not_show_100_percent(qtbot, window):
    lib = window.library

    from faceapp.progress import Progress

    lib._on_progress(Progress("scanning", 3, 10, "4 faces · 0 failed"))  # three photos into ten
    lib._on_done({"cancelled": True, "processed": 3, "skipped": 0, "faces": 4, "errors": {}, "seconds": 1.0})
    assert lib.progress.value() < lib.progress.maximum()
    lib._on_done({"cancelled": False, "processed": 10, "skipped": 0, "faces": 9, "errors": {}, "seconds": 1.0})
    assert lib.progress.value() == lib.progress.maximum()


def test_unsorted_count_matches_what_is_shown(qtbot, window, grouped_sample, settle):
    view = window.show_view("People")
    settle(window)
    person = services.list_people(window.ctx.db)[0]
    face = services.person_faces(window.ctx.db, person.id)[0].id
    with sqlite3.connect(grouped_sample) as conn:  # a face leaves its person behind the views' back
        conn.execute("DELETE FROM face_assignments WHERE face_id = ?", [face])
    window.ctx.notify("people")
    settle(window)
    shown = len(services.unsorted_faces(window.ctx.db))
    assert view.unsorted_button.text() == f"Unsorted faces ({shown})"
    unsorted = window.open_unsorted()
    settle(window)
    assert unsorted.model.total() == shown
    assert f"{shown} faces" in unsorted.info.text()



def test_review_counts_every_selected_face(qtbot, window, settle):
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    view = window.show_view("Review")
    settle(window)
    if view.model.rowCount() < 4:
        return
    sel = QItemSelection(view.model.index(0), view.model.index(3))  # a shift-click over four faces
    view.grid.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert "(and 3 more selected)" in view.question.text()


def test_csv_target_named_as_a_file_is_that_file(grouped_sample, tmp_path):
    from faceapp.storage.db import open_library

    db = open_library(grouped_sample)
    ids = [p.id for p in services.list_people(db)]
    target = tmp_path / "out" / "faces.csv"
    target.parent.mkdir()
    result = services.export(db, str(target), "csv", ids)
    assert target.is_file() and not (target / "faces.csv").exists(), result
    folder = tmp_path / "folder"
    folder.mkdir()
    services.export(db, str(folder), "json", ids)
    assert (folder / "faces.json").is_file()


def test_training_with_nothing_gained_says_the_model_is_unchanged(qtbot, window, tmp_path):
    from faceapp.gui.services.training import kept_base, outcome_message

    view = window.show_view("Improve recognition")
    ev = {"verification": {"tar_at_far1e-3": 0.8}, "clustering": {"bcubed_f": 0.9}}
    trained = {"selection": {"kept": {"epoch": 2, "alpha": 0.5}}, "before": {"heldout": ev}, "after": {"heldout": ev}}
    assert kept_base(trained)  # a model no better than the old one on held-out faces is nothing to switch to
    report = services.TrainReport(str(tmp_path / "model.onnx"), None, None, {}, {}, kept_base(trained),
                                  outcome_message(trained))
    view.show_report(report)
    assert not view.accept_button.isEnabled()
    assert "no improvement found; your model is unchanged" in view.status.text().lower()
