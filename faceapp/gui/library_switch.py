"""Open another library (or start a new one) without restarting: File → Open library…, New library…,
and the recent libraries.

The switch is refused while a scan, training or other job runs on the open library (its workers write
to that file), and a file that is not a faceapp library is refused before anything is closed, so a
wrong pick never leaves the user without a window. The new window replaces the old one; the choice is
saved as the library to open next time and put first among the recent ones.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from faceapp.gui.settings import qsettings, save_settings
from faceapp.storage.db import DamagedLibrary, NotALibrary, check_library_file

RECENT_KEY = "library/recent"
RECENT_MAX = 6
_open_windows: list[QObject] = []  # the windows opened by a switch (Qt does not own top-level windows)


def recent_libraries() -> list[str]:
    """Library files opened before, most recent first, those that still exist."""
    value = qsettings().value(RECENT_KEY) or []
    items = [value] if isinstance(value, str) else list(value)
    return [p for p in items if Path(p).is_file()]


def remember(path: str | Path) -> None:
    p = str(Path(path).resolve())
    items = [p] + [q for q in recent_libraries() if q != p]
    qs = qsettings()
    qs.setValue(RECENT_KEY, items[:RECENT_MAX])
    qs.sync()


def why_not(window, path: str | Path) -> str | None:  # noqa: ANN001 (MainWindow: import cycle)
    """Why the window can't switch to `path` now (None: it can)."""
    if window.ctx.busy:
        return f"Stop the running {', '.join(sorted(window.ctx.busy))} first: it writes to the open library."
    if Path(path).resolve() == window.ctx.path.resolve():
        return "That library is already open."
    try:
        check_library_file(path)
    except DamagedLibrary:
        pass  # switch_library offers its newest good backup
    except (NotALibrary, OSError) as exc:
        return str(exc)  # another program's file, a newer faceapp's: no backup of ours helps
    return None


def switch_library(window, path: str | Path, ask=None, tell=None):  # noqa: ANN001, ANN201 (MainWindow)
    """Replace `window` by a main window on `path`; returns the new window, or None (with the reason
    in the old window's status bar) when the switch is refused or the library can't be opened. A
    damaged library is not opened: its newest good backup is offered (faceapp.gui.recovery), and the
    old window stays open whatever the answer."""
    from faceapp.gui.context import LibraryContext
    from faceapp.gui.main_window import MainWindow
    from faceapp.gui.recovery import ask_dialog, tell_dialog, usable_library

    reason = why_not(window, path)
    if reason:
        window.ctx.say(reason)
        return None
    try:
        if not usable_library(path, ask or ask_dialog(window), tell or tell_dialog(window)):
            window.ctx.say(f"{path} is damaged and was not opened")
            return None
    except (NotALibrary, OSError) as exc:
        window.ctx.say(str(exc))
        return None
    settings = window.ctx.settings
    previous = settings.db_path
    settings.db_path = str(Path(path).resolve())
    try:
        ctx = LibraryContext(settings.db_path, settings)
    except (NotALibrary, OSError, ValueError) as exc:  # e.g. a folder we can't write, a damaged file
        settings.db_path = previous
        window.ctx.say(f"Could not open {path}: {exc}")
        return None
    save_settings(settings)
    remember(settings.db_path)
    # The old window goes first: its close stops every running task, which must not include the new
    # window's first reads. The app must not quit in between, with no window shown.
    app = QApplication.instance()
    quit_on_last = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    try:
        window.close()
        new = MainWindow(ctx)
        new.show()
    finally:
        app.setQuitOnLastWindowClosed(quit_on_last)
    _open_windows[:] = [w for w in _open_windows if w is not window] + [new]
    return new


def ask_open(window: QWidget) -> str | None:
    start = str(window.ctx.path.parent)  # type: ignore[attr-defined]
    path, _ = QFileDialog.getOpenFileName(window, "Open library", start, "faceapp library (*.db);;All files (*)")
    return path or None


def ask_new(window: QWidget) -> str | None:
    start = str(window.ctx.path.parent / "library.db")  # type: ignore[attr-defined]
    path, _ = QFileDialog.getSaveFileName(window, "New library", start, "faceapp library (*.db)")
    return path or None  # an existing file picked here is opened as it is, never emptied
