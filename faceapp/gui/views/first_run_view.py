"""The first-run screen: a library with no photos yet says what to do, in three steps (add a
folder → scan → people), and moves to People when the first scan ends with faces found.

It works through the Library page (its folder list and its scan, with progress and cancel), so
there is one way to add and scan; this page only leads the way. `install(window)` is the one
call the main window makes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from faceapp.gui.context import LibraryContext
from faceapp.gui.qtcompat import emit
from faceapp.gui.views.library_view import LibraryView
from faceapp.storage import photos as photo_store
from faceapp.storage import roots as root_store

STEPS = ("<ol style='line-height:150%'>"
         "<li><b>Add a folder</b> where your photos are (you can add more later). Nothing is moved or changed in it.</li>"
         "<li><b>Scan</b>: faceapp finds the faces in every photo, on this computer only. A few thousand photos "
         "take some minutes; you can pause or stop, and a later scan goes on where it stopped.</li>"
         "<li><b>People</b>: the faces are grouped by person. Type a name under a group, merge groups that are "
         "the same person, and answer the questions on the Review page where faceapp is unsure.</li></ol>")


def has_photos(ctx: LibraryContext) -> bool:
    return sum(photo_store.counts(ctx.db).values()) > 0


class FirstRunView(QWidget):
    scan_started = Signal()
    finished = Signal()  # the first scan ended with faces: time for People

    def __init__(self, ctx: LibraryContext, library: LibraryView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.library = library
        self.ask_folder = lambda: QFileDialog.getExistingDirectory(self, "Add a photo folder")  # tests replace it
        title = QLabel("<h2>Welcome to faceapp</h2>")
        intro = QLabel("faceapp sorts your photos by the people in them. Three steps to start:")
        steps = QLabel(STEPS)
        steps.setWordWrap(True)
        steps.setTextFormat(Qt.TextFormat.RichText)
        self.folders = QLabel()
        self.folders.setWordWrap(True)
        self.add_button = QPushButton("1. Add a photo folder…")
        self.scan_button = QPushButton("2. Scan for faces")
        self.status = QLabel()
        self.status.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(40, 30, 40, 30)
        for w in (title, intro, steps, self.add_button, self.folders, self.scan_button, self.status):
            lay.addWidget(w)
        for b in (self.add_button, self.scan_button):
            b.setMinimumHeight(36)
            b.setMaximumWidth(320)
        lay.addStretch(1)
        self.add_button.clicked.connect(self.add_folder)
        self.scan_button.clicked.connect(self.scan)
        library.scan_finished.connect(self._scanned)
        self._show_folders()

    def _show_folders(self) -> None:
        roots = root_store.list_roots(self.ctx.db)
        self.folders.setText("Folders: " + ", ".join(roots) if roots else "No folder yet.")
        self.scan_button.setEnabled(bool(roots))

    def add_folder(self, path: str | None = None) -> None:
        path = path or self.ask_folder()
        if path:
            self.library.add_folder(path)
            self._show_folders()

    def scan(self) -> None:
        """Start the scan on the Library page, which shows its progress (and pause and stop)."""
        if self.library.start_scan() is not None:
            self.status.setText("Scanning… (the Library page shows how far it is)")
            emit(self.scan_started)

    def _scanned(self, stats: dict | None) -> None:
        if stats and stats.get("faces"):
            self.library.scan_finished.disconnect(self._scanned)
            emit(self.finished)
        elif stats is not None:
            self.status.setText("No faces found yet. Add a folder with photos of people, then scan again.")


def install(window) -> FirstRunView | None:  # noqa: ANN001 (a MainWindow)
    """On a library with no photos: the welcome page in front; Library shows a running scan; People
    when the first scan has found faces. None when the library has photos already."""
    if has_photos(window.ctx):
        return None
    page = FirstRunView(window.ctx, window.library)
    window.stack.addWidget(page)
    window.stack.setCurrentWidget(page)
    window.nav.clearSelection()  # the welcome page is none of the sidebar's pages: none marked
    page.add_button.setFocus()  # the first step has the keyboard (Enter adds a folder), not the sidebar
    page.scan_started.connect(lambda: window.show_view("Library"))
    page.finished.connect(lambda: window.show_view("People"))
    return page
