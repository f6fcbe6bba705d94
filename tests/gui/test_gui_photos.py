"""Photos in the window (issue 12): a person's Photos tab by month, newest first; the Photos page
filtered to people together (and without someone); photo thumbnails cached on disk in the data
directory, outside the library, and reused."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from faceapp.storage.db import open_library
from faceapp.storage.faces import insert_face
from faceapp.storage.people import assign, create_person
from faceapp.storage.photos import save_photo

CROP = np.zeros((112, 112, 3), np.uint8)

# name, EXIF date (None: the file's time), people in it
PHOTOS = [
    ("ann_ben_2023_02.jpg", "2023-02-10T09:00:00", ["Ann", "Ben"]),
    ("ann_2023_02.jpg", "2023-02-01T09:00:00", ["Ann"]),
    ("ann_ben_cy_2022_07.jpg", "2022-07-04T12:00:00", ["Ann", "Ben", "Cy"]),
    ("ben_2022_07.jpg", "2022-07-03T12:00:00", ["Ben"]),
    ("ann_2021_06.jpg", "2021-06-01T10:00:00", ["Ann"]),
    ("ann_file_time.jpg", None, ["Ann"]),  # no EXIF date: the file's time (2020-05-05)
]


@pytest.fixture
def family(tmp_path) -> tuple[Path, dict[str, int]]:
    """A library of real JPEG files with known dates and people (Ann, Ben, Cy)."""
    folder = tmp_path / "photos"
    folder.mkdir()
    lib = tmp_path / "library.db"
    db = open_library(lib)
    people = {n: create_person(db, n) for n in ("Ann", "Ben", "Cy")}
    rng = np.random.default_rng(0)
    for name, taken, who in PHOTOS:
        path = folder / name
        cv2.imwrite(str(path), rng.integers(0, 255, (300, 400, 3), np.uint8))
        mtime = time.mktime((2020, 5, 5, 12, 0, 0, 0, 0, -1))
        os.utime(path, (mtime, mtime))
        pid = save_photo(db, str(path), path.stat().st_size, mtime, name, width=400, height=300, taken_at=taken)
        for j, person in enumerate(who):
            fid = insert_face(db, pid, (10 + 120 * j, 20, 100, 120), np.zeros((5, 2)), 0.9, 0.8, CROP)
            assign(db, fid, people[person], "confirmed", 1.0)
    db.conn.close()
    return lib, people


def _names(model) -> list[str]:
    return [Path(p.path).name for p in model.photos()]


def test_person_opens_on_photos_by_month(qtbot, make_window, family, settle):
    lib, people = family
    win = make_window(lib)
    settle(win)
    view = win.open_person(people["Ann"])
    settle(win)
    assert view.tabs.currentWidget() is view.photos  # the Photos tab is the default
    model = view.photos.model
    qtbot.waitUntil(model.finished, timeout=5000)
    assert _names(model) == ["ann_ben_2023_02.jpg", "ann_2023_02.jpg", "ann_ben_cy_2022_07.jpg", "ann_2021_06.jpg",
                             "ann_file_time.jpg"]  # newest first, by EXIF date, else the file's
    assert model.months() == ["February 2023  ·  2 photos", "July 2022  ·  1 photo", "June 2021  ·  1 photo",
                              "May 2020  ·  1 photo"]
    kinds = [model.row(i).kind for i in range(model.rowCount())]
    assert kinds[:3] == ["year", "month", "photo"] and kinds.count("year") == 4
    # the tiles show the other people's faces, not Ann's own
    first = model.index(kinds.index("photo"))
    from faceapp.gui.models.photos_model import FacesRole

    assert [pid for _, pid, _ in first.data(FacesRole)] == [people["Ben"]]
    # the Faces tab is still there for corrections
    view.tabs.setCurrentIndex(1)
    settle(win)
    assert view.model.total() == 5


def test_clicking_a_photo_opens_the_viewer(qtbot, make_window, family, settle):
    from PySide6.QtCore import Qt

    lib, people = family
    win = make_window(lib)
    view = win.open_person(people["Ben"])
    settle(win)
    qtbot.waitUntil(view.photos.model.finished, timeout=5000)
    model, grid = view.photos.model, view.photos.view
    rows = [i for i in range(model.rowCount()) if model.row(i).kind == "photo"]
    assert grid.row_at(grid.row_rect(rows[0]).left() - 1, grid.row_rect(rows[0]).top() - 1) == -1  # a header's line
    with qtbot.waitSignal(view.photo_requested, timeout=2000) as sig:
        qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.row_rect(rows[1]).center())
    assert Path(sig.args[1]).name == model.row(rows[1]).photo.path.rsplit("/", 1)[-1]
    qtbot.wait(900)  # past the double-click guard
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_Left)  # the arrow keys move between photos, over the headers
    assert grid.current == rows[0]
    with qtbot.waitSignal(view.photo_requested, timeout=2000) as sig:
        qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert Path(sig.args[1]).name == "ann_ben_2023_02.jpg"


def test_photos_page_two_people_together_and_without(qtbot, make_window, family, settle):
    lib, people = family
    win = make_window(lib)
    page = win.show_view("Photos")
    settle(win)
    qtbot.waitUntil(page.grid.model.finished, timeout=5000)
    assert len(page.grid.model.photos()) == len(PHOTOS)
    page.with_people.add(people["Ann"])
    page.with_people.add(people["Ben"])
    settle(win)
    qtbot.waitUntil(page.grid.model.finished, timeout=5000)
    assert _names(page.grid.model) == ["ann_ben_2023_02.jpg", "ann_ben_cy_2022_07.jpg"]
    assert page.summary.text() == "2 photos with Ann & Ben"
    page.without_people.add(people["Cy"])
    settle(win)
    qtbot.waitUntil(page.grid.model.finished, timeout=5000)
    assert _names(page.grid.model) == ["ann_ben_2023_02.jpg"]
    assert page.summary.text() == "1 photo with Ann & Ben without Cy"
    page.with_people.chips[people["Ben"]].click()  # a chip's ✕ takes Ben out of the filter
    settle(win)
    qtbot.waitUntil(page.grid.model.finished, timeout=5000)
    assert "ann_ben_cy_2022_07.jpg" not in _names(page.grid.model) and len(_names(page.grid.model)) == 4


def test_photo_thumbnails_are_cached_on_disk_outside_the_library_and_reused(qtbot, family, monkeypatch):
    from faceapp import paths
    from faceapp.gui import images
    from faceapp.gui.thumbs import PhotoThumbnails

    lib, _ = family
    path = str(lib.parent / "photos" / "ann_2021_06.jpg")
    decoded: list[str] = []
    real = images.load_photo_qimage
    monkeypatch.setattr(images, "load_photo_qimage", lambda p, **kw: (decoded.append(p), real(p, **kw))[1])

    def thumbnail(thumbs: PhotoThumbnails):
        with qtbot.waitSignal(thumbs.ready, timeout=5000, check_params_cb=lambda paths: path in paths):
            thumbs.request(path)
        return thumbs.cached(path)

    first = PhotoThumbnails(workers=1)
    try:
        assert not thumbnail(first).isNull()
    finally:
        first.close()
    files = list(images.thumbnail_dir().rglob("*.jpg"))
    assert len(files) == 1 and paths.data_dir() in files[0].parents  # in the data directory
    assert decoded == [path]
    tables = {r[0] for r in sqlite3.connect(lib).execute("SELECT name FROM sqlite_master")}
    assert not any("thumb" in t for t in tables)  # nothing of it in the library file

    second = PhotoThumbnails(workers=1)  # a new window: read from the disk, not decoded again
    try:
        assert not thumbnail(second).isNull()
        assert decoded == [path]
        os.utime(path, (time.time(), time.time()))  # the photo is edited: a new thumbnail
        second.forget()
        thumbnail(second)
        assert decoded == [path, path]
        assert len(list(images.thumbnail_dir().rglob("*.jpg"))) == 2
    finally:
        second.close()


def test_a_new_filter_replaces_the_chips(qtbot, make_window, family, settle):
    lib, people = family
    win = make_window(lib)
    page = win.show_view("Photos")
    settle(win)
    page.set_filter([people["Ann"], people["Ben"]], [people["Cy"]])
    page.set_filter([people["Ben"]])
    QApplication.processEvents()  # shown at once: not only when the event loop deletes the old chips
    shown = [c for c in page.with_people.findChildren(type(page.clear_button)) if c.isVisible()]
    assert [c.text() for c in shown] == ["Ben  ✕"]
    assert not [c for c in page.without_people.findChildren(type(page.clear_button)) if c.isVisible()]


def test_photos_tab_follows_an_undo_while_shown(qtbot, make_window, family, settle):
    from faceapp.gui import services

    lib, people = family
    win = make_window(lib)
    view = win.open_person(people["Cy"])
    settle(win)
    qtbot.waitUntil(view.photos.model.finished, timeout=5000)
    assert len(view.photos.model.photos()) == 1
    face = next(f.id for f in services.person_faces(win.ctx.db, people["Ann"]) if f.path.endswith("ann_2021_06.jpg"))
    services.move(win.ctx.db, [face], people["Cy"])  # e.g. from another window, then Ctrl+Z here
    win.ctx.notify("people")
    settle(win)
    qtbot.waitUntil(lambda: view.photos.model.finished() and len(view.photos.model.photos()) == 2, timeout=5000)
    view.undo()
    settle(win)
    qtbot.waitUntil(lambda: view.photos.model.finished() and len(view.photos.model.photos()) == 1, timeout=5000)


def test_a_birth_date_typed_on_the_person_page_shows_the_age_on_the_months(qtbot, make_window, family, settle):
    """Born: typed on the person page is kept (one undoable step), the page says the age today and the
    Photos tab's month headers the age in that month."""
    from datetime import date

    from PySide6.QtCore import Qt

    from faceapp.jobs.birth_date import birth_date

    lib, people = family
    win = make_window(lib)
    settle(win)
    view = win.open_person(people["Ann"])
    settle(win)
    view.born.setText("2019-05-20")
    qtbot.keyClick(view.born, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: birth_date(win.ctx.db, people["Ann"]) == "2019-05-20", timeout=5000)
    qtbot.waitUntil(lambda: "born 2019-05-20" in view.info.text(), timeout=5000)
    model = view.photos.model
    qtbot.waitUntil(lambda: model.finished() and "age" in " ".join(model.months()), timeout=10_000)
    assert model.months() == ["February 2023  ·  2 photos  ·  age 3", "July 2022  ·  1 photo  ·  age 3",
                              "June 2021  ·  1 photo  ·  age 2", "May 2020  ·  1 photo  ·  age 0"]  # mid-May: before the 20th
    today = date.today()
    assert f"(age {today.year - 2019 - ((today.month, today.day) < (5, 20))})" in view.info.text()
