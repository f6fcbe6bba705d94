"""Pages switched the way a person switches them (issue 11, item 1): with the keyboard focus in a
page, by a double-click in the people grid, by the sidebar. Opening a person used to leave the
sidebar with no current row; the focus, leaving the hidden people grid for the sidebar, then made
the sidebar pick its first row (Library) in the middle of the page switch, and the Library page
stayed shown under the person page (drawn under its header in a real window)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

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


def _drawn_in_gaps(win, page) -> int:
    """Pixels of the window as the screen has it (the X server's under xcb, the backing store
    offscreen) that lie in the page's gaps, where no widget of the page is, and differ from the
    window's background: whatever another page drew there."""
    import numpy as np
    from PySide6.QtGui import QImage

    shot = win.screen().grabWindow(win.winId()).toImage().convertToFormat(QImage.Format.Format_RGB32)
    ratio = shot.width() / win.width()
    pixels = np.frombuffer(shot.constBits(), np.uint8).reshape(shot.height(), shot.bytesPerLine() // 4, 4)[:, :, :3]

    def box(w):  # the widget's rectangle in screen-shot pixels
        tl = w.mapTo(win, w.rect().topLeft())
        return (int(tl.y() * ratio), int((tl.y() + w.height()) * ratio),
                int(tl.x() * ratio), int((tl.x() + w.width()) * ratio))

    gaps = np.zeros(pixels.shape[:2], bool)
    y0, y1, x0, x1 = box(page)
    gaps[y0:y1, x0:x1] = True
    for child in page.findChildren(QWidget):
        if child.isVisible() and child.parent() is page:
            y0, y1, x0, x1 = box(child)
            gaps[max(0, y0 - 1):y1 + 1, max(0, x0 - 1):x1 + 1] = False  # a pixel of slack for frames
    bg = page.palette().color(page.backgroundRole())
    diff = np.abs(pixels.astype(int) - np.array([bg.blue(), bg.green(), bg.red()])).max(axis=2)
    return int((diff[gaps] > 24).sum())


def test_nothing_is_drawn_in_the_gaps_of_an_opened_person(qtbot, window, settle):
    _active(qtbot, window)
    window.show_view("Library")
    settle(window)
    window.show_view("People")
    settle(window)
    _double_click_first_person(qtbot, window, settle)
    qtbot.wait(200)  # the repaint reaches the screen
    assert _drawn_in_gaps(window, window.person) == 0
