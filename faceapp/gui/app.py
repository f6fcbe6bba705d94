"""Start the desktop app on a library (the QApplication, the settings, the main window)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from faceapp import paths
from faceapp.gui.context import LibraryContext
from faceapp.gui.look import apply_palette
from faceapp.gui.main_window import MainWindow
from faceapp.gui.settings import load_settings


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("faceapp")
    app.setOrganizationName("faceapp")
    app.setDesktopFileName("faceapp")  # Wayland shells match the window to faceapp.desktop (its icon) by this
    app.setWindowIcon(QIcon(str(paths.APP_ICON)))
    apply_palette(app)  # the desktop's dark mode (or FACEAPP_THEME=dark)
    return app  # type: ignore[return-value]


def tune_gc() -> None:
    """Collect cyclic garbage less often. A worker that builds 100,000 small objects (a face list)
    triggers full collections that stop every thread, the GUI thread included, for 300–400 ms on a
    big library; with these thresholds the longest stall measured was under 100 ms."""
    gc.set_threshold(100_000, 50, 1000)


def open_window(db_path: str | Path | None = None, ask=None, tell=None) -> MainWindow | None:  # noqa: ANN001
    """The main window on the library; None when the library is damaged and not restored (the user
    was told why). `ask`/`tell` replace the dialogs in tests (see faceapp.gui.recovery)."""
    from faceapp.gui.recovery import ask_dialog, tell_dialog, usable_library

    tune_gc()
    settings = load_settings()
    if db_path is not None:
        settings.db_path = str(db_path)
    path = settings.library_path()
    if not usable_library(path, ask or ask_dialog(None), tell or tell_dialog(None)):
        return None
    ctx = LibraryContext(path, settings)
    return MainWindow(ctx)


def run(db_path: str | Path | None = None) -> int:
    from faceapp.gui.qtcompat import ADVICE, BROKEN_PYSIDE

    if BROKEN_PYSIDE:
        print(f"faceapp: warning: {ADVICE}", file=sys.stderr)
    from faceapp.storage.db import NotALibrary

    app = application()
    try:
        window = open_window(db_path)
    except NotALibrary as exc:
        from PySide6.QtWidgets import QMessageBox

        print(f"faceapp: {exc}", file=sys.stderr)
        QMessageBox.critical(None, "faceapp", f"{exc}\n\nStart faceapp with --db on a library file, "
                             "or choose another library in Settings.")
        return 2
    if window is None:
        print("faceapp: the library is damaged and was not restored (see `faceapp library check`)", file=sys.stderr)
        return 2
    window.show()
    return app.exec()
