"""Photos: every scanned photo of the library by year and month, newest first, with small faces of
the people in each one on its tile; filtered to the photos where some people are together
("with"), and optionally without others. Clicking a photo opens it with its faces named."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from faceapp.gui import services
from faceapp.gui.context import LibraryContext
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.views.photos_filter import PeopleChips
from faceapp.gui.views.photos_grid import PhotosGrid
from faceapp.types import Person


class TimelineView(QWidget):
    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.with_people = PeopleChips("Photos with", "add a person…")
        self.without_people = PeopleChips("without", "add a person…")
        self.clear_button = QPushButton("Show all photos")
        self.summary = QLabel("Loading…")
        self.grid = PhotosGrid(ctx, thumbs, name="timeline")
        self.people_loader = ctx.loader("timeline-people")
        self._stale = True
        top = QHBoxLayout()
        top.addWidget(self.with_people)
        top.addSpacing(16)
        top.addWidget(self.without_people)
        top.addStretch()
        top.addWidget(self.clear_button)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.summary)
        lay.addWidget(self.grid, 1)
        self.with_people.changed.connect(self._filter_changed)
        self.without_people.changed.connect(self._filter_changed)
        self.clear_button.clicked.connect(lambda: self.set_filter([], []))
        self.grid.loaded.connect(self._counted)
        self.grid.photo_requested.connect(self.open_photo)
        ctx.changed.connect(self._library_changed)

    def activated(self) -> None:
        """Shown from the sidebar: read the people and the photos when something changed."""
        if self._stale:
            self._stale = False
            self.people_loader.load(lambda db: services.list_people(db, True), self._people_loaded)
            self.grid.reload()

    def _library_changed(self, topic: str) -> None:
        if topic in ("people", "photos"):
            self._stale = True
            if self.isVisible():
                self.activated()

    def _people_loaded(self, people: list[Person]) -> None:
        visible = [p for p in people if not p.hidden]
        for chips in (self.with_people, self.without_people):
            chips.blockSignals(True)
            chips.set_people(visible)
            chips.blockSignals(False)

    def set_filter(self, with_ids: Sequence[int], without: Sequence[int] = ()) -> None:
        """Only the photos where all of with_ids are together and none of without."""
        for chips, ids in ((self.with_people, with_ids), (self.without_people, without)):
            chips.set_ids(list(ids), quiet=True)
        self._filter_changed()

    def _filter_changed(self) -> None:
        with_ids, without = self.with_people.ids(), self.without_people.ids()
        both = set(with_ids) & set(without)
        if both:  # asked with and without: the newest choice wins
            self.without_people.set_ids([p for p in without if p not in both], quiet=True)
            without = self.without_people.ids()
        self.summary.setText("Loading…")
        self.grid.show_photos(with_ids, without)

    def _counted(self, total: int) -> None:
        names = [c.text().rstrip(" ✕") for c in self.with_people.chips.values()]
        not_names = [c.text().rstrip(" ✕") for c in self.without_people.chips.values()]
        text = f"{total:,} photo" + ("s" if total != 1 else "")
        if names:
            text += " with " + " & ".join(names)
        if not_names:
            text += " without " + " & ".join(not_names)
        self.summary.setText(text + ("" if total or not names else " — none where they are together"))

    def open_photo(self, photo_id: int, path: str) -> QWidget:
        from faceapp.gui.views.photo_dialog import PhotoDialog

        dlg = PhotoDialog(self.ctx, photo_id, path, self.window())
        dlg.show()
        return dlg
