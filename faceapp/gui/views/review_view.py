"""Review: the least certain automatic assignments first, answered with the keyboard.

Y accepts the current face (confirms it belongs), N rejects it ("not this person"), Space skips;
a selection of several faces can be accepted or rejected at once. Under the question, a few faces
of the person it names (and of the other person, for a merge or an "or Person M" question), so the
answer needs no trip to the People page.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from faceapp.gui import services
from faceapp.gui.context import LibraryContext
from faceapp.gui.grid import make_grid
from faceapp.gui.models.faces_model import FacesModel
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.types import Face, ReviewItem

REF_SIDE = 64  # the reference faces' size: smaller than the faces asked about


def _ref_grid(model: FacesModel) -> QListView:
    grid = make_grid(REF_SIDE)
    grid.setModel(model)
    grid.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Y, N and Space stay with the faces asked about
    grid.setFlow(QListView.Flow.LeftToRight)
    grid.setWrapping(False)
    grid.setFixedHeight(REF_SIDE + 24)
    grid.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return grid


class ReviewView(QWidget):
    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.items: list[ReviewItem] = []
        self.loader = ctx.loader("review")
        self.model = FacesModel(thumbs, caption=lambda f: self._captions.get(f.id, ""))
        self._captions: dict[int, str] = {}
        self.grid = make_grid(112, caption_lines=2, multi=True)
        self.grid.setModel(self.model)
        self.question = QLabel()
        self.question.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.refs_loader = ctx.loader("review-references")
        self.refs_item: ReviewItem | None = None  # the question the references are for
        self.refs = QWidget()
        self._ref_labels = [QLabel(), QLabel()]
        self._ref_models = [FacesModel(thumbs), FacesModel(thumbs)]
        self._ref_grids = [_ref_grid(m) for m in self._ref_models]
        refs = QHBoxLayout(self.refs)
        refs.setContentsMargins(0, 0, 0, 0)
        for label, grid in zip(self._ref_labels, self._ref_grids, strict=True):
            refs.addWidget(label)
            refs.addWidget(grid, 1)
        self.accept_button = QPushButton("Yes, same person (Y)")
        self.reject_button = QPushButton("No, not this person (N)")
        self.skip_button = QPushButton("Skip (Space)")
        self.refresh_button = QPushButton("Refresh")
        buttons = QHBoxLayout()
        for b in (self.accept_button, self.reject_button, self.skip_button):
            buttons.addWidget(b)
        buttons.addStretch()
        buttons.addWidget(self.refresh_button)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<b>Review</b>: the least certain groupings first. "
                             "Select several faces to accept or reject them together."))
        lay.addWidget(self.question)
        lay.addWidget(self.refs)
        lay.addWidget(self.grid, 1)
        lay.addLayout(buttons)
        self.accept_button.clicked.connect(self.accept_selected)
        self.reject_button.clicked.connect(self.reject_selected)
        self.skip_button.clicked.connect(self.skip)
        self.refresh_button.clicked.connect(self.refresh)
        QShortcut(QKeySequence("Y"), self, activated=self.accept_selected)
        QShortcut(QKeySequence("N"), self, activated=self.reject_selected)
        QShortcut(QKeySequence("Space"), self, activated=self.skip)
        self.grid.selectionModel().currentChanged.connect(lambda *_: self._describe())
        self.grid.selectionModel().selectionChanged.connect(lambda *_: self._describe())  # counts what is selected now
        self._dirty = True
        ctx.changed.connect(self._changed)

    def _changed(self, topic: str) -> None:
        self._dirty = True
        if self.isVisible():
            self.refresh()

    def activated(self) -> None:
        if self._dirty:
            self.refresh()

    def refresh(self) -> None:
        self._dirty = False
        self.question.setText("Finding the least certain faces…")
        self.loader.load(services.review_queue, self._apply)

    def _apply(self, items: list[ReviewItem]) -> None:
        self.items = items
        self._captions = {it.shown_face: f"{it.caption}\n{it.score:.2f}" for it in self.items}
        faces = [Face(it.shown_face, 0, "", it.person_id, "cluster", it.score) for it in self.items]
        self.model.set_faces(faces)
        if faces:
            self.grid.setCurrentIndex(self.model.index(0))
        self._describe()

    def _describe(self) -> None:
        rows = self._rows()
        if not self.items:
            self.question.setText("Nothing to review.")
        elif rows:
            it = self.items[rows[0]]
            more = f" (and {len(rows) - 1} more selected)" if len(rows) > 1 else ""
            question = it.text or f"Is this {it.caption}"
            self.question.setText(f"<b>{question}</b>{more} · {len(self.items)} to review")
            self._show_references(it)
        if not self.items:
            self._show_references(None)

    def _show_references(self, item: ReviewItem | None) -> None:
        """A few faces of the people the question names (read in the background)."""
        if item is self.refs_item:
            return
        self.refs_item = item
        if item is None:
            self._apply_references([])
        else:
            self.refs_loader.load(lambda db: services.review_references(db, item), self._apply_references)

    def _apply_references(self, groups: list[tuple[str, list[Face]]]) -> None:
        for i, (label, model, grid) in enumerate(zip(self._ref_labels, self._ref_models, self._ref_grids, strict=True)):
            name, faces = groups[i] if i < len(groups) else ("", [])
            label.setText(f"<b>{name}</b>:" if name else "")
            model.set_faces(faces)
            label.setVisible(bool(faces))
            grid.setVisible(bool(faces))
        self.refs.setVisible(bool(groups))

    def ref_groups(self) -> list[tuple[str, FacesModel]]:
        """What the references show now: (the person's label, their faces) per person shown."""
        return [(label.text(), model) for label, model in zip(self._ref_labels, self._ref_models, strict=True)
                if model.total()]

    def _rows(self) -> list[int]:
        rows = sorted({i.row() for i in self.grid.selectionModel().selectedIndexes()})
        if not rows and self.grid.currentIndex().isValid():
            rows = [self.grid.currentIndex().row()]
        return rows

    def _answer(self, accept: bool) -> None:
        rows = self._rows()
        if not rows:
            return
        chosen = [self.items[r] for r in rows]
        self.ctx.act(services.accept_all if accept else services.reject_all, chosen)  # refreshes this view too

    def accept_selected(self) -> None:
        self._answer(True)

    def reject_selected(self) -> None:
        self._answer(False)

    def skip(self) -> None:
        row = self.grid.currentIndex().row() + 1
        if row < self.model.rowCount():
            self.grid.setCurrentIndex(self.model.index(row))
