"""GUI fixtures: a main window on a library file, offscreen (tests/conftest.py sets the platform)."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceapp.storage.backup import copy_library

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")


@pytest.fixture
def grouped_sample(scanned_sample, tmp_path) -> Path:
    """A private copy of the scanned sample library, grouped into people."""
    from faceapp.gui import services
    from faceapp.storage.db import open_library

    path = tmp_path / "library.db"
    copy_library(scanned_sample, path)
    db = open_library(path)
    services.recluster(db)
    db.conn.close()
    return path


@pytest.fixture
def make_window(qtbot):
    """Open main windows on library files; each is closed (state saved, workers stopped) after the test."""
    from faceapp.gui.app import open_window

    opened = []

    def make(db_path: Path):
        win = open_window(db_path)
        qtbot.addWidget(win)
        win.show()
        opened.append(win)
        # Under a real X server, key presses and window shortcuts reach only the active window.
        win.raise_()
        win.activateWindow()
        try:
            qtbot.waitUntil(win.isActiveWindow, timeout=3000)
        except AssertionError:  # a platform with no notion of an active window: nothing to wait for
            pass
        return win

    yield make
    for win in opened:
        win.close()


@pytest.fixture
def window(make_window, grouped_sample, settle):
    win = make_window(grouped_sample)
    settle(win)
    return win


@pytest.fixture
def settle(qtbot):
    """Wait until the window's background reads have landed in its views."""

    def wait(win, timeout: int = 30_000) -> None:
        qtbot.waitUntil(lambda: not win.ctx.reading(), timeout=timeout)

    return wait
