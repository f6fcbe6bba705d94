"""The photo viewer: drag a box to add a missed face, click a box for its actions, previous/next."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from faceapp import paths
from faceapp.gui.views.photo_dialog import PhotoDialog

pytest.importorskip("pytestqt")

FACE_BOX = (1526.0, 925.0, 30.0, 42.0)  # the small face pasted at (1500, 900), see tests/jobs/test_add_face.py


@pytest.fixture
def album_lib(tmp_path) -> tuple[Path, Path]:
    from PIL import Image

    from faceapp.gui import services
    from faceapp.jobs.scan import Scanner, ScanSettings
    from faceapp.storage.db import open_library

    album = tmp_path / "album"
    album.mkdir()
    src = Image.open(paths.SAMPLE_ALBUM / "George_Clooney_0001.jpg").convert("RGB")
    canvas = Image.new("RGB", (2400, 1600), (120, 140, 160))
    canvas.paste(src.resize((90, 90)), (1500, 900))
    canvas.save(album / "small_face.jpg", quality=92)
    for i in (2, 3, 4):
        name = f"George_Clooney_000{i}.jpg"
        (album / name).write_bytes((paths.SAMPLE_ALBUM / name).read_bytes())
    db_path = tmp_path / "library.db"
    db = open_library(db_path)
    Scanner(db, ScanSettings(workers=1, embed_threads=1)).scan([album])
    services.recluster(db)
    db.conn.close()
    return db_path, album


def _q(db_path: Path, sql: str, *args):
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchall()


def _open(qtbot, win, photo_id: int, path: str, **kw) -> PhotoDialog:
    dlg = PhotoDialog(win.ctx, photo_id, path, win, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitUntil(lambda: dlg.image is not None, timeout=10_000)
    return dlg


def _wait_faces(qtbot, dlg, cond) -> None:
    qtbot.waitUntil(lambda: cond(dlg.faces), timeout=20_000)


def test_drag_a_box_adds_the_face_and_boxes_are_actions(qtbot, make_window, settle, album_lib):
    db_path, album = album_lib
    win = make_window(db_path)
    settle(win)
    photo = str(album / "small_face.jpg")
    (pid,) = _q(db_path, "SELECT id FROM photos WHERE path = ?", photo)[0]
    dlg = _open(qtbot, win, pid, photo)
    assert dlg.faces == []  # the scan missed the small face
    asked = []
    dlg.ask = lambda kind, title, current: asked.append(kind) or "George"
    x, y, w, h = (round(v * dlg.scale) for v in FACE_BOX)
    qtbot.mousePress(dlg.label, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseRelease(dlg.label, Qt.MouseButton.LeftButton, pos=QPoint(x + w, y + h))
    assert asked == ["person"]
    settle(win)
    _wait_faces(qtbot, dlg, lambda faces: len(faces) == 1)
    face = dlg.faces[0]
    assert face.drawn and face.decided and face.label == "George"
    assert _q(db_path, "SELECT f.source, a.source, p.name FROM faces f JOIN face_assignments a ON a.face_id = f.id "
                       "JOIN persons p ON p.id = a.person_id WHERE f.id = ?", face.face_id) == [("user", "confirmed", "George")]
    assert abs(face.box[0] - FACE_BOX[0]) < 3 and abs(face.box[2] - FACE_BOX[2]) < 3

    # a click on the box opens its actions
    qtbot.mouseClick(dlg.label, Qt.MouseButton.LeftButton, pos=QPoint(x + w // 2, y + h // 2))
    assert dlg.selected == face.face_id and dlg.menu is not None
    actions = {a.text(): a for a in dlg.menu.actions() if a.text()}
    assert {"Rename “George”…", "Move to another person…", "Not a face", "Delete this face"} <= set(actions)
    assert not any(t.startswith("Confirm") for t in actions)  # already a decision

    dlg.ask = lambda kind, title, current: "Georgie" if kind == "name" else None
    actions["Rename “George”…"].trigger()
    settle(win)
    _wait_faces(qtbot, dlg, lambda faces: faces and faces[0].label == "Georgie")

    dlg.ask = lambda kind, title, current: "Ann"
    actions["Move to another person…"].trigger()
    settle(win)
    _wait_faces(qtbot, dlg, lambda faces: faces and faces[0].label == "Ann")

    dlg.menu = dlg.face_menu(dlg.faces[0])
    next(a for a in dlg.menu.actions() if a.text() == "Delete this face").trigger()
    settle(win)
    _wait_faces(qtbot, dlg, lambda faces: faces == [])
    from PySide6.QtGui import QKeySequence, QShortcut

    undo = dlg.findChild(QShortcut)  # Ctrl+Z in the viewer too (offscreen, key events reach no shortcut)
    assert undo.key() == QKeySequence(QKeySequence.StandardKey.Undo)
    undo.activated.emit()
    settle(win)
    _wait_faces(qtbot, dlg, lambda faces: len(faces) == 1 and faces[0].label == "Ann")


def test_confirm_and_not_a_face_on_a_detected_box(qtbot, make_window, settle, album_lib):
    db_path, album = album_lib
    win = make_window(db_path)
    settle(win)
    photo = str(album / "George_Clooney_0002.jpg")
    (pid,) = _q(db_path, "SELECT id FROM photos WHERE path = ?", photo)[0]
    dlg = _open(qtbot, win, pid, photo)
    face = dlg.faces[0]
    menu = {a.text(): a for a in dlg.face_menu(face).actions() if a.text()}
    if face.person_id is not None and not face.decided:
        next(a for t, a in menu.items() if t.startswith("Confirm")).trigger()
        settle(win)
        assert _q(db_path, "SELECT source FROM face_assignments WHERE face_id = ?", face.face_id) == [("confirmed",)]
        _wait_faces(qtbot, dlg, lambda faces: faces and faces[0].decided)
    dlg.face_menu(dlg.faces[0]).actions()  # the menu is rebuilt from the faces as read again
    next(a for a in dlg.face_menu(dlg.faces[0]).actions() if a.text() == "Not a face").trigger()
    settle(win)
    assert _q(db_path, "SELECT face_id FROM not_faces") == [(face.face_id,)]
    _wait_faces(qtbot, dlg, lambda faces: faces == [])


def test_previous_and_next_photo_of_the_person(qtbot, make_window, settle, album_lib):
    db_path, album = album_lib
    win = make_window(db_path)
    settle(win)
    rows = _q(db_path, "SELECT a.person_id, count(*) FROM face_assignments a GROUP BY a.person_id ORDER BY 2 DESC")
    person, n = rows[0]
    assert n >= 2
    first = _q(db_path, "SELECT p.id, p.path FROM photos p JOIN faces f ON f.photo_id = p.id JOIN face_assignments a "
                        "ON a.face_id = f.id WHERE a.person_id = ? ORDER BY p.path", person)
    dlg = _open(qtbot, win, first[0][0], first[0][1], person_id=person)
    qtbot.waitUntil(lambda: len(dlg.photos) == n, timeout=10_000)
    start = dlg.photo_id
    i = dlg._index()
    delta = 1 if i < n - 1 else -1
    qtbot.keyClick(dlg, Qt.Key.Key_Right if delta == 1 else Qt.Key.Key_Left)
    assert dlg.photo_id != start
    qtbot.waitUntil(lambda: dlg.image is not None, timeout=10_000)
    assert any(f.person_id == person for f in dlg.faces)
    assert dlg.prev_button.isEnabled() or dlg.next_button.isEnabled()
    # a list handed in by the caller (the old signature still works without one)
    dlg2 = _open(qtbot, win, first[0][0], first[0][1], photos=[tuple(r) for r in first])
    assert not dlg2.prev_button.isEnabled() and dlg2.next_button.isEnabled()
    dlg2.next_button.click()
    assert dlg2.photo_id == first[1][0]
