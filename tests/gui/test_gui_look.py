"""Looks like a photo app: round person avatars, an icon for every sidebar entry, the system's dark mode."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPalette


def test_people_are_round_avatars_once_their_face_is_loaded(qtbot, window, settle):
    model = window.people.model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
    p = model.person_at(0)
    qtbot.waitUntil(lambda: window.thumbs.has(p.cover_face), timeout=10_000)
    icon = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    img = icon.pixmap(QSize(112, 112)).toImage()
    w, h = img.width(), img.height()
    assert img.pixelColor(1, 1).alpha() == 0 and img.pixelColor(w - 2, h - 2).alpha() == 0  # corners: none
    assert img.pixelColor(w // 2, h // 2).alpha() == 255  # the face itself
    assert icon is model.data(model.index(0), Qt.ItemDataRole.DecorationRole)  # made once, not per paint


def test_every_sidebar_entry_has_an_icon(window):
    items = [window.nav.item(i) for i in range(window.nav.count())]
    assert [i.text() for i in items][:3] == ["Library", "People", "Photos"]
    assert all(not i.icon().isNull() for i in items)


def test_dark_mode_gives_a_dark_palette(monkeypatch, qapp):
    from faceapp.gui import look

    before, style = qapp.palette(), qapp.style().name()
    monkeypatch.setenv("FACEAPP_THEME", "light")
    assert not look.apply_palette(qapp)
    monkeypatch.setenv("FACEAPP_THEME", "dark")
    try:
        assert look.apply_palette(qapp)
        pal = qapp.palette()
        assert pal.color(QPalette.ColorRole.Window).lightness() < 80
        assert pal.color(QPalette.ColorRole.WindowText).lightness() > 200  # text stays readable
    finally:
        qapp.setStyle(style)
        qapp.setPalette(before)


def test_a_tile_under_the_mouse_offers_name_and_hide(qtbot, window, settle):
    from PySide6.QtWidgets import QAbstractItemView

    from faceapp.gui import services

    view = window.show_view("People")
    settle(window)
    grid, model = view.grid, view.model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
    p = model.person_at(0)
    buttons = grid.itemDelegate().buttons(grid.visualRect(model.index(0)))
    qtbot.mouseMove(grid.viewport(), buttons["name"].center())
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=buttons["name"].center())
    qtbot.waitUntil(lambda: grid.state() == QAbstractItemView.State.EditingState, timeout=2000)  # the name editor
    qtbot.keyClick(grid.focusWidget(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: grid.state() != QAbstractItemView.State.EditingState, timeout=2000)
    qtbot.wait(800)  # (not a double click)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=buttons["hide"].center())
    settle(window)
    qtbot.waitUntil(lambda: any(q.id == p.id and q.hidden for q in services.list_people(window.ctx.db, True)),
                    timeout=5000)
