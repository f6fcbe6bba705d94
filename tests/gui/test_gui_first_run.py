"""The first-run screen (issue 11): an empty library says what to do (add a folder → scan →
people), and the window moves to People when the first scan ends with faces."""

from __future__ import annotations

import os
import shutil

from faceapp import paths


def test_an_empty_library_leads_from_a_folder_through_the_scan_to_people(qtbot, make_window, tmp_path, settle):
    album = tmp_path / "album"
    album.mkdir()
    for p in sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[:4]:
        shutil.copy(p, album / p.name)
    win = make_window(tmp_path / "empty.db")
    settle(win)
    page = win.first_run
    assert page is not None and win.stack.currentWidget() is page and page.isVisible()
    assert not win.library.isVisible() and not win.people.isVisible()
    assert not win.nav.selectedItems()  # the sidebar marks no page: the welcome page is none of them
    text = " ".join(w.text() for w in page.findChildren(type(page.status)))
    for step in ("Add a folder", "Scan", "People"):
        assert step in text
    assert not page.scan_button.isEnabled()  # nothing to scan yet
    if os.environ.get("FACEAPP_SHOTS"):
        win.grab().save(os.path.join(os.environ["FACEAPP_SHOTS"], "first_run.png"))

    page.ask_folder = lambda: str(album)
    page.add_button.click()
    assert page.scan_button.isEnabled() and str(album) in page.folders.text()
    with qtbot.waitSignal(win.library.scan_finished, timeout=120_000):
        page.scan_button.click()
        assert win.stack.currentWidget() is win.library  # the scan's progress, pause and stop
        assert [i.text() for i in win.nav.selectedItems()] == ["Library"]
    qtbot.waitUntil(lambda: win.stack.currentWidget() is win.people, timeout=5000)
    assert [i.text() for i in win.nav.selectedItems()] == ["People"]
    settle(win)


def test_a_library_with_photos_has_no_first_run_page(window):
    assert window.first_run is None
