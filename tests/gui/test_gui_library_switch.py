"""File → Open / New library: switch without a restart, refuse what would lose or damage data."""

from __future__ import annotations

from faceapp.gui.library_switch import recent_libraries
from faceapp.gui.settings import load_settings


def test_switch_to_a_new_library_replaces_the_window_and_is_remembered(window, tmp_path, qtbot, settle):
    old_path = window.ctx.path
    new = window.open_library(tmp_path / "second.db")
    assert new is not None and new is not window
    qtbot.addWidget(new)
    settle(new)
    assert new.ctx.path == (tmp_path / "second.db").resolve()
    assert not window.isVisible()
    assert new.people.isVisible() is False  # an empty library opens on the first-run page (add a folder → scan)
    assert new.stack.currentWidget() is new.first_run
    assert load_settings().library_path() == (tmp_path / "second.db").resolve()
    assert recent_libraries()[:2] == [str(new.ctx.path), str(old_path.resolve())]
    back = new.open_library(old_path)  # and back again: the grouped library opens on People
    assert back is not None
    qtbot.addWidget(back)
    settle(back)
    assert back.stack.currentWidget() is back.people
    assert back.people.model.rowCount() > 0  # its views really loaded (the old window's close cancels no new work)
    back.close()


def test_foreign_database_is_refused_and_left_untouched(window, foreign_db):
    foreign = foreign_db
    before = foreign.read_bytes()
    assert window.open_library(foreign) is None
    assert window.isVisible()
    assert "another program's database" in window.statusBar().currentMessage()
    assert foreign.read_bytes() == before
    assert load_settings().library_path() != foreign


def test_no_switch_while_a_job_writes_to_the_open_library(window, tmp_path):
    window.ctx.busy.add("scan")
    try:
        assert window.open_library(tmp_path / "x.db") is None
        assert "Stop the running scan" in window.statusBar().currentMessage()
        assert not (tmp_path / "x.db").exists()
    finally:
        window.ctx.busy.discard("scan")


def test_no_switch_during_a_regroup(window, tmp_path, qtbot):
    assert window.people.regroup() is not None
    assert window.open_library(tmp_path / "y.db") is None
    assert "re-group" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.people.task is None, timeout=60_000)
    assert "re-group" not in window.ctx.busy
