"""The main flow driven through the widgets: scan → people → name → merge → reject → export,
checking the library file after each step."""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QItemSelectionModel, Qt

from faceapp import paths
from faceapp.gui import services


def _q(db_path, sql, params=()):
    """Read the library as an outsider would: a separate connection."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def test_scan_name_merge_reject_export(qtbot, tmp_path, make_window, settle):
    db_path = tmp_path / "lib.db"
    win = make_window(db_path)
    lib = win.library

    # 1. add the sample album as a folder and scan it with the Scan button
    lib.add_folder(str(paths.SAMPLE_ALBUM))
    assert lib.folders.count() == 1
    assert _q(db_path, "SELECT path FROM roots") == [(str(paths.SAMPLE_ALBUM.resolve()),)]
    with qtbot.waitSignal(lib.scan_finished, timeout=120_000) as sig:
        qtbot.mouseClick(lib.scan_button, Qt.MouseButton.LeftButton)
    stats = sig.args[0]
    assert stats and not stats["cancelled"] and stats["processed"] >= 49
    assert _q(db_path, "SELECT count(*) FROM photos WHERE status = 'done'")[0][0] >= 49
    assert "failed" in lib.summary.text() and lib.scan_button.isEnabled()

    # 2. people appear in the grid
    win.show_view("People")
    settle(win)
    model = win.people.model
    assert model.rowCount() >= 5
    people_before = _q(db_path, "SELECT count(DISTINCT person_id) FROM face_assignments")[0][0]
    assert people_before == len(services.list_people(win.ctx.db, True))

    # 3. open the biggest person and name them
    biggest = model.person_at(0)
    win.people.grid.setCurrentIndex(model.index(0))
    qtbot.mouseClick(win.people.open_button, Qt.MouseButton.LeftButton)
    settle(win)
    view = win.person
    assert view.person_id == biggest.id and view.isVisible()
    view.name.clear()
    qtbot.keyClicks(view.name, "George")
    qtbot.mouseClick(view.rename_button, Qt.MouseButton.LeftButton)
    settle(win)  # actions are written on their own thread, in order
    assert _q(db_path, "SELECT name FROM persons WHERE id = ?", [biggest.id]) == [("George",)]
    win.show_view("People")
    settle(win)
    win.people.search.setText("geo")
    assert model.rowCount() == 1 and model.person_at(0).label == "George"
    win.people.search.clear()

    # 4. merge another person into George
    win.open_person(biggest.id)
    settle(win)
    other = view.merge_target.itemData(0)
    other_faces = {r[0] for r in _q(db_path, "SELECT face_id FROM face_assignments WHERE person_id = ?", [other])}
    assert other_faces
    view.merge_target.setCurrentIndex(0)
    view.ask_merge = lambda me, other: True  # the question (both people shown) says yes: see test_gui_as_seen
    qtbot.mouseClick(view.merge_button, Qt.MouseButton.LeftButton)
    settle(win)
    george = {r[0] for r in _q(db_path, "SELECT face_id FROM face_assignments WHERE person_id = ?", [biggest.id])}
    assert other_faces <= george
    assert not _q(db_path, "SELECT 1 FROM face_assignments WHERE person_id = ?", [other])
    assert view.model.total() == len(george)

    # 5. reject one face with the keyboard ("not this person")
    face = view.model.face_at(view.model.total() - 1).id
    view.grid.selectionModel().select(view.model.index(view.model.total() - 1),
                                      QItemSelectionModel.SelectionFlag.ClearAndSelect)
    view.grid.setFocus()
    qtbot.keyClick(view.grid, Qt.Key.Key_R)
    settle(win)
    assert _q(db_path, "SELECT person_id FROM face_rejections WHERE face_id = ?", [face]) == [(biggest.id,)]
    assert not _q(db_path, "SELECT 1 FROM face_assignments WHERE face_id = ? AND person_id = ?", [face, biggest.id])
    assert view.model.total() == len(george) - 1

    # 6. export George's album
    export = win.show_view("Export")
    settle(win)
    out = tmp_path / "albums"
    export.out_dir.setText(str(out))
    export.set_checked([biggest.id])
    assert export.checked_ids() == [biggest.id]
    with qtbot.waitSignal(export.task_finished, timeout=60_000):
        qtbot.mouseClick(export.export_button, Qt.MouseButton.LeftButton)
    photos = {r[0].rsplit("/", 1)[-1] for r in _q(
        db_path, "SELECT DISTINCT p.path FROM face_assignments a JOIN faces f ON f.id = a.face_id "
                 "JOIN photos p ON p.id = f.photo_id WHERE a.person_id = ?", [biggest.id])}
    exported = {p.name for p in out.rglob("*") if p.is_file()}
    assert photos and photos <= exported
