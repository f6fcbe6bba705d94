"""Pages switched the way a person switches them (issue 11, item 1): with the keyboard focus in a
page, by a double-click in the people grid, by the sidebar. Opening a person used to leave the
sidebar with no current row; the focus, leaving the hidden people grid for the sidebar, then made
the sidebar pick its first row (Library) in the middle of the page switch, and the Library page
stayed shown under the person page (drawn under its header in a real window)."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.gui.test_gui_as_seen import _visible_strays


def _active(qtbot, win) -> None:
    win.activateWindow()
    win.raise_()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)


def _double_click_first_person(qtbot, win, settle) -> None:
    grid, model = win.people.grid, win.people.model
    grid.setFocus()
    qtbot.waitUntil(grid.hasFocus, timeout=5000)
    pos = grid.visualRect(model.index(0, 0)).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.person, timeout=5000)
    settle(win)


def test_a_person_opened_from_the_focused_grid_is_the_only_page(qtbot, window, settle):
    _active(qtbot, window)
    window.show_view("Library")
    settle(window)
    window.show_view("People")
    settle(window)
    _double_click_first_person(qtbot, window, settle)
    assert _visible_strays(window) == []
    assert window.nav.currentItem().text() == "People"  # a person is part of People


def test_the_sidebar_leads_back_from_a_person(qtbot, window, settle):
    _active(qtbot, window)
    window.show_view("People")
    settle(window)
    _double_click_first_person(qtbot, window, settle)
    nav = window.nav
    people_row = nav.visualItemRect(nav.item(list(window.pages).index("People")))
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=people_row.center())
    assert window.stack.currentWidget() is window.people
    assert _visible_strays(window) == []
    qtbot.keyClick(window.people.grid, Qt.Key.Key_Return)  # Return on the current tile opens it again
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.person, timeout=5000)
    assert _visible_strays(window) == []
