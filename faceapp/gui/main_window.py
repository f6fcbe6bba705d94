"""The main window: a sidebar of views over one open library; remembers its size and layout."""

from __future__ import annotations

import importlib
from pathlib import Path

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMainWindow, QSplitter, QStackedWidget, QWidget

from faceapp.gui.context import LibraryContext
from faceapp.gui.import_names import ImportNames
from faceapp.gui.library_switch import ask_new, ask_open, recent_libraries, remember, switch_library
from faceapp.gui.look import sidebar_icon
from faceapp.gui.services import feedback
from faceapp.gui.settings import qsettings, save_settings
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.views import first_run_view
from faceapp.gui.views.library_view import LibraryView
from faceapp.gui.views.people_view import PeopleView
from faceapp.gui.views.person_view import PersonView
from faceapp.gui.workers import cancel_all
from faceapp.storage.faces import face_count

# Sidebar entries after Library and People: (title, module, class); built when first shown.
LAZY_VIEWS = [
    ("Photos", "faceapp.gui.views.timeline_view", "TimelineView"),
    ("Review", "faceapp.gui.views.review_view", "ReviewView"),
    ("Verify", "faceapp.gui.views.verify_view", "VerifyView"),
    ("Improve recognition", "faceapp.gui.views.improve_view", "ImproveView"),
    ("Export", "faceapp.gui.views.export_view", "ExportView"),
]


class MainWindow(QMainWindow):
    def __init__(self, ctx: LibraryContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"faceapp — {ctx.path}" + (" (read-only)" if getattr(ctx.db, "read_only", False) else ""))
        self.thumbs = FaceThumbnails(ctx.path)
        self.library = LibraryView(ctx)
        self.people = PeopleView(ctx, self.thumbs)
        self.person = PersonView(ctx, self.thumbs)
        self.nav = QListWidget()
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        for title, widget in (("Library", self.library), ("People", self.people)):
            self._add_page(title, widget)
        for title, _, _ in LAZY_VIEWS:
            self._add_page(title, None)
        self.stack.addWidget(self.person)
        self.nav.setFixedWidth(170)
        split = self.splitter = QSplitter()
        split.addWidget(self.nav)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([170, 1030])
        self.setCentralWidget(split)
        self.nav.currentRowChanged.connect(self._nav_changed)
        self.nav.itemClicked.connect(lambda item: self.show_view(item.text()))  # People, from a person
        self.people.person_opened.connect(self.open_person)
        self.people.unsorted_opened.connect(self.open_unsorted)
        self.person.back.connect(lambda: self.show_view("People"))
        self.person.photo_requested.connect(self._open_persons_photo)
        ctx.changed.connect(lambda topic: topic == "people" and self.person.isVisible() and self.person.refresh())
        self._menus()
        self.resize(1200, 800)
        self._restore()
        self.statusBar().showMessage(str(ctx.path))
        ctx.message.connect(self._say)
        self.show_view("People" if face_count(ctx.db) else "Library")
        self.first_run = first_run_view.install(self)  # no photos yet: a page that says what to do first
        remember(ctx.path)

    def _add_page(self, title: str, widget: QWidget | None) -> None:
        self.nav.addItem(QListWidgetItem(sidebar_icon(title), title))
        self.pages[title] = widget or QWidget()
        self.stack.addWidget(self.pages[title])

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        for text, keys, ask in (("&Open library…", QKeySequence.StandardKey.Open, ask_open),
                                ("&New library…", QKeySequence.StandardKey.New, ask_new)):
            action = QAction(text, self, shortcut=QKeySequence(keys))
            action.triggered.connect(lambda _=False, ask=ask: (path := ask(self)) and self.open_library(path))
            file_menu.addAction(action)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.addSeparator()
        names = QAction("&Import face names from other tools (XMP)…", self)
        names.triggered.connect(self.import_names)
        file_menu.addAction(names)
        file_menu.addSeparator()
        settings = QAction("&Settings…", self, shortcut=QKeySequence("Ctrl+,"))
        settings.triggered.connect(self.open_settings)
        file_menu.addAction(settings)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        for text, keys, step in (("&Undo last decision", ["Ctrl+Z"], feedback.undo_step),
                                 ("&Redo", ["Ctrl+Shift+Z", "Ctrl+Y"], feedback.redo_step)):
            action = QAction(text, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.triggered.connect(lambda _=False, step=step: self.ctx.act(step, then=self.ctx.say, tell=False))
            edit_menu.addAction(action)
        view_menu = self.menuBar().addMenu("&View")
        for i, title in enumerate(self.pages, start=1):
            action = QAction(title, self, shortcut=QKeySequence(f"Ctrl+{i}"))
            action.triggered.connect(lambda _=False, t=title: self.show_view(t))
            view_menu.addAction(action)

    def view(self, title: str) -> QWidget:
        """The page widget, building a lazy view the first time it is asked for."""
        for t, module, cls in LAZY_VIEWS:
            if t == title and type(self.pages[t]) is QWidget:
                old = self.pages[t]
                widget = getattr(importlib.import_module(module), cls)(self.ctx, self.thumbs)
                i = self.stack.indexOf(old)
                self.stack.insertWidget(i, widget)
                self.stack.removeWidget(old)
                old.deleteLater()
                self.pages[t] = widget
        return self.pages[title]

    def show_view(self, title: str) -> QWidget:
        row = list(self.pages).index(title)
        if self.nav.currentRow() != row:
            self.nav.setCurrentRow(row)  # → _nav_changed
        elif self.stack.currentWidget() is not self.pages[title]:  # back from a person (its row is People's)
            self._nav_changed(row)
        self.nav.item(row).setSelected(True)  # marked again after the first-run page unmarked it
        return self.pages[title]

    def _nav_changed(self, row: int) -> None:
        title = list(self.pages)[row]
        widget = self.view(title)
        self.stack.setCurrentWidget(widget)
        if hasattr(widget, "activated"):
            widget.activated()

    def open_person(self, person_id: int) -> PersonView:
        # A person belongs to People: the sidebar keeps People current. A sidebar with no current
        # row picks its first one (Library) when the focus lands on it, as it does when the page
        # that held the focus hides, in the middle of the switch, and that left Library shown under
        # the person page.
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(list(self.pages).index("People"))
        self.nav.blockSignals(False)
        if person_id == -1:
            self.person.show_unsorted()
        else:
            self.person.show_person(person_id)
        self.stack.setCurrentWidget(self.person)
        return self.person

    def open_unsorted(self) -> PersonView:
        self.open_person(-1)
        return self.person

    def open_photo(self, photo_id: int, path: str, person_id: int | None = None) -> QWidget:
        """The photo viewer; with `person_id`, previous/next step through that person's photos."""
        from faceapp.gui.views.photo_dialog import PhotoDialog

        dlg = PhotoDialog(self.ctx, photo_id, path, self, person_id=person_id)
        dlg.show()
        return dlg

    def _open_persons_photo(self, photo_id: int, path: str) -> QWidget:
        pid = self.person.person_id
        return self.open_photo(photo_id, path, pid if pid is not None and pid >= 0 else None)

    def import_names(self, ask=None) -> ImportNames:  # noqa: ANN001 (ask: text -> bool, for tests)
        """Names other tools left in XMP, as confirmed faces (see faceapp.gui.import_names)."""
        self._import = ImportNames(self, ask)
        self._import.start()
        return self._import

    def open_library(self, path: str | Path) -> MainWindow | None:
        """Switch this window's library (see faceapp.gui.library_switch); None when refused."""
        return switch_library(self, path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        others = [p for p in recent_libraries() if Path(p) != self.ctx.path.resolve()]
        for p in others:
            self.recent_menu.addAction(p, lambda p=p: self.open_library(p))
        if not others:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def open_settings(self) -> None:
        from faceapp.gui.views.settings_dialog import SettingsDialog

        before = self.ctx.settings.db_path
        SettingsDialog(self.ctx.settings, self).exec()
        if self.ctx.settings.db_path != before:  # a new location: switch now, or keep the open one and say why
            target = self.ctx.settings.library_path()
            self.ctx.settings.db_path = before
            save_settings(self.ctx.settings)
            if target.resolve() != self.ctx.path.resolve():
                self.open_library(target)

    def _say(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def _restore(self) -> None:
        qs = qsettings()
        geometry, state = qs.value("window/geometry"), qs.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        sizes = qs.value("window/splitter")
        if sizes is not None:
            self.splitter.restoreState(sizes)

    def closeEvent(self, event: QCloseEvent) -> None:
        qs = qsettings()
        qs.setValue("window/geometry", self.saveGeometry())
        qs.setValue("window/state", self.saveState())
        qs.setValue("window/splitter", self.splitter.saveState())
        qs.sync()
        cancel_all()
        self.thumbs.close()
        self.ctx.close()
        super().closeEvent(event)
