"""Verify: are two faces (from the library) or two photos (files) the same person?

Each side picks a person by name (a search field that completes over the people's names, "Person 12"
for the unnamed), then one of that person's faces: never a grid of every face in the library. Shows the score, the decision, the threshold and the false-accept rate that threshold stands
for. Library faces compare stored embeddings (instant); photo files need detection and embedding,
so they run in a worker.
"""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import services
from faceapp.gui.background import db_job
from faceapp.gui.context import LibraryContext
from faceapp.gui.grid import make_grid
from faceapp.gui.images import load_thumbnail
from faceapp.gui.models.faces_model import FacesModel
from faceapp.gui.qtcompat import emit, variant
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.workers import Task, run_task
from faceapp.types import Face, Person


class VerifyView(QWidget):
    verdict_shown = Signal(object)  # a services.Verdict, or None on failure

    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.photos: list[str | None] = [None, None]
        self.loader = ctx.loader("verify")
        self.face_loaders = [ctx.loader("verify-faces-1"), ctx.loader("verify-faces-2")]
        self.people: list[Person] = []
        self.chosen: list[Person | None] = [None, None]  # the person each side shows
        self.names = QStringListModel()
        self.person_fields = [QLineEdit(placeholderText="Type a name…"), QLineEdit(placeholderText="Type a name…")]
        for i, field in enumerate(self.person_fields):
            completer = QCompleter(self.names, field)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            field.setCompleter(completer)
            field.setClearButtonEnabled(True)
            completer.activated.connect(lambda text, i=i: self.pick_person(i, text))
            field.returnPressed.connect(lambda i=i: self.pick_person(i, self.person_fields[i].text()))
        self.models = [FacesModel(thumbs), FacesModel(thumbs)]
        self.grids = [make_grid(72), make_grid(72)]
        self.photo_labels = [QLabel("or a photo file:"), QLabel("or a photo file:")]
        self.thumbs = thumbs
        self.previews = [QLabel(), QLabel()]
        for p in self.previews:
            p.setFixedSize(112, 112)
            p.setStyleSheet("background: #ddd")
        self.far = QComboBox()
        self.far.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.compare_button = QPushButton("Compare")
        self.result = QLabel("Pick a face on each side (or a photo file), then Compare.")
        self.result.setWordWrap(True)
        sides = QGridLayout()
        for i, (title, grid, label) in enumerate(zip(("First", "Second"), self.grids, self.photo_labels, strict=True)):
            grid.setModel(self.models[i])
            grid.clicked.connect(lambda _idx, i=i: self._face_picked(i))
            choose = QPushButton("Choose photo…")
            choose.clicked.connect(lambda _=False, i=i: self._choose_photo(i))
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(choose)
            who = QHBoxLayout()
            who.addWidget(QLabel(f"<b>{title} face</b> — person:"))
            who.addWidget(self.person_fields[i], 1)
            sides.addLayout(who, 0, i)
            sides.addWidget(grid, 1, i)
            sides.addLayout(row, 2, i)
        bottom = QHBoxLayout()
        bottom.addWidget(self.previews[0])
        bottom.addWidget(QLabel("vs"))
        bottom.addWidget(self.previews[1])
        bottom.addSpacing(20)
        bottom.addWidget(QLabel("False-accept rate:"))
        bottom.addWidget(self.far)
        bottom.addStretch()
        bottom.addWidget(self.compare_button)
        lay = QVBoxLayout(self)
        lay.addLayout(sides, 1)
        lay.addLayout(bottom)
        lay.addWidget(self.result)
        self.compare_button.clicked.connect(self.compare)
        self._dirty = True
        ctx.changed.connect(self._changed)

    def _changed(self, topic: str) -> None:
        self._dirty = True

    def activated(self) -> None:
        if self._dirty:
            self.refresh()

    def refresh(self) -> None:
        self._dirty = False
        self.loader.load(lambda db: (services.list_people(db), services.thresholds(db)), self._apply)

    def _apply(self, result: tuple[list[Person], dict[str, float]]) -> None:
        people, thresholds = result
        people = sorted(people, key=lambda p: (p.name is None, -p.faces, p.id))  # named first, then the biggest
        self.people = people
        self.names.setStringList([p.label for p in people])
        for side in (0, 1):  # a side shows its person again (their faces may have changed), or a first pick
            known = next((p for p in people if self.chosen[side] and p.id == self.chosen[side].id), None)
            default = people[min(side, len(people) - 1)] if people else None
            self._show_person(side, known or default)
        self.far.clear()
        for far, thr in sorted(thresholds.items(), key=lambda kv: float(kv[0])):
            self.far.addItem(f"{float(far):g} (cosine ≥ {thr:.3f})", far)
        if not self.far.count():
            self.far.addItem("uncalibrated model (cosine ≥ 0.363)", None)
        i = self.far.findData("1e-3")
        self.far.setCurrentIndex(max(i, 0))

    def find_person(self, text: str) -> Person | None:
        """The person a typed name means: the label itself, else the first label that contains it."""
        t = text.strip().lower()
        if not t:
            return None
        return next((p for p in self.people if p.label.lower() == t), None) or \
            next((p for p in self.people if t in p.label.lower()), None)

    def pick_person(self, side: int, text: str) -> Person | None:
        person = self.find_person(text)
        if person is None:
            self.result.setText(f"No person called “{text.strip()}”." if text.strip() else self.result.text())
            return None
        self._show_person(side, person)
        return person

    def _show_person(self, side: int, person: Person | None) -> None:
        """The side's grid holds this person's faces; the first is picked, ready to compare."""
        self.chosen[side] = person
        field = self.person_fields[side]
        if person is None:
            self.models[side].set_faces([])
            return
        if field.text() != person.label:
            field.setText(person.label)

        def apply(faces: list[Face], side: int = side) -> None:
            faces = sorted(faces, key=lambda f: f.id != person.cover_face)  # the cover face first
            self.models[side].set_faces(faces)
            if faces and self.photos[side] is None:
                self.select_face(side, 0)

        self.face_loaders[side].load(lambda db: services.person_faces(db, person.id), apply)

    def _face_picked(self, side: int) -> None:
        self.photos[side] = None
        self.photo_labels[side].setText("or a photo file:")
        face = self._picked_face(side)
        if face is not None:
            self.previews[side].setPixmap(self.thumbs.pixmap(face))

    def _choose_photo(self, side: int) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a photo", "", "Images (*.jpg *.jpeg *.png *.heic *.webp)")
        if path:
            self.set_photo(side, path)

    def set_photo(self, side: int, path: str) -> None:
        self.photos[side] = path
        self.grids[side].clearSelection()
        self.photo_labels[side].setText(path.rsplit("/", 1)[-1])
        self.previews[side].setText(path.rsplit("/", 1)[-1])
        run_task(lambda _t: load_thumbnail(path, 112), name="preview",
                 on_done=lambda image, side=side: self.previews[side].setPixmap(QPixmap.fromImage(image)))

    def select_face(self, side: int, row: int) -> None:
        row = min(row, self.models[side].rowCount() - 1)  # (a person with fewer faces: their last)
        self.grids[side].setCurrentIndex(self.models[side].index(row))
        self._face_picked(side)

    def _picked_face(self, side: int) -> int | None:
        idx = self.grids[side].currentIndex()
        rows = self.grids[side].selectionModel().selectedIndexes()
        return self.models[side].face_at(idx.row()).id if idx.isValid() and rows else None

    def compare(self) -> None:
        """Two library faces compare instantly; a photo file on either side needs inference (worker)."""
        far = variant(self.far.currentData())
        sides = [self.photos[i] or self._picked_face(i) for i in (0, 1)]
        if any(x is None for x in sides):
            self.result.setText("Pick a face or a photo file on each side first.")
            return
        if any(isinstance(x, str) for x in sides):
            self.result.setText("Finding and comparing the faces…")
            self.compare_button.setEnabled(False)
            self.task = run_task(db_job(self.ctx.path, services.verify_photos, sides[0], sides[1], far,
                                        self.ctx.settings.device),
                                 name="verify", on_done=self._show, on_error=self._failed)
            return
        try:
            verdict = services.verify_faces(self.ctx.db, sides[0], sides[1], far)
        except ValueError as exc:
            self._failed(str(exc))
            return
        self._show(verdict)

    def _show(self, v: services.Verdict) -> None:
        self.task = None
        self.compare_button.setEnabled(True)
        decision = "<b style='color:#080'>Same person</b>" if v.same else "<b style='color:#a00'>Different people</b>"
        far = f"a false-accept rate of {v.far:g} (about 1 stranger pair in {round(1 / v.far):,} passes)" if v.far else \
            "an uncalibrated threshold"
        own = f" A score this high would itself stand for a false-accept rate of {v.far_bound} {v.far_at_score:.2g}." \
            if v.far_at_score is not None else ""
        self.result.setText(f"{decision} — score {v.score:.3f}, threshold {v.threshold:.3f}, which stands for {far}.{own}")
        emit(self.verdict_shown, v)

    def _failed(self, text: str) -> None:
        self.task = None
        self.compare_button.setEnabled(True)
        self.result.setText(f"Could not compare: {text}")
        emit(self.verdict_shown, None)
