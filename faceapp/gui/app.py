"""Start the desktop app on a library (the QApplication, the settings, the main window)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from faceapp.gui.context import LibraryContext
from faceapp.gui.main_window import MainWindow
from faceapp.gui.settings import load_settings


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("faceapp")
    app.setOrganizationName("faceapp")
    return app  # type: ignore[return-value]


def open_window(db_path: str | Path | None = None) -> MainWindow:
    settings = load_settings()
    if db_path is not None:
        settings.db_path = str(db_path)
    ctx = LibraryContext(settings.library_path(), settings)
    return MainWindow(ctx)


def run(db_path: str | Path | None = None) -> int:
    app = application()
    window = open_window(db_path)
    window.show()
    return app.exec()
