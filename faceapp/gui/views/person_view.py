"""Person: their photos (the Photos tab, the default: whole photos by month, newest first) and
every face of theirs with the decisions that fix mistakes (the Faces tab, keyboard-driven)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import services
from faceapp.gui.context import LibraryContext
from faceapp.gui.grid import make_grid
from faceapp.gui.models.faces_model import FacesModel
from faceapp.gui.qtcompat import emit, variant
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.views.photos_grid import PhotosGrid
from faceapp.jobs.birth_date import age_on, birth_date, set_birth_date
from faceapp.types import Person

UNSORTED = -1  # person_id while the view shows the faces in no person

# (button text, shortcut, method): the frequent actions, each one keystroke.
ACTIONS = [
    ("Confirm", "C", "confirm_selected"),
    ("Not this person", "R", "reject_selected"),
    ("Not a face", "N", "not_a_face_selected"),
    ("Split off", "S", "split_selected"),
    ("Open photo", "O", "open_photo"),
]


class PersonView(QWidget):
    back = Signal()
    photo_requested = Signal(int, str)  # photo id, path

    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.person_id: int | None = None
        self.thumbs = thumbs
        self._person: Person | None = None
        self.ask_merge = self._ask_merge  # (this person, the other) -> bool; tests replace it
        self.model = FacesModel(thumbs, caption=lambda f: "✓ confirmed" if f.source == "confirmed" else "")
        self.back_button = QPushButton("← People")
        self.name = QLineEdit(placeholderText="Name this person")
        self.rename_button = QPushButton("Rename")
        self.hidden = QCheckBox("Hidden")
        self.born = QLineEdit(placeholderText="Born: YYYY-MM-DD")
        self.born.setToolTip("Optional. With a birth date, the photos show the age on each (Enter to save; "
                             "empty it to forget)")
        self.born.setMaximumWidth(150)
        self._birth: str | None = None
        self.order = QComboBox()
        self.order.addItem("As grouped", False)
        self.order.addItem("Least like this person first", True)
        self.order.setToolTip("Least like: the faces farthest from the average of this person's faces come first, "
                              "so a face that does not belong is on the first row")
        self.info = QLabel()
        self.merge_target = QComboBox()
        self.merge_button = QPushButton("Merge into this person")
        self.move_target = QComboBox()
        self.move_target.setMinimumContentsLength(16)
        self.move_target.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.move_button = QPushButton("Move selection to")
        self.undo_button = QPushButton("Undo")
        self.grid = make_grid(112, caption_lines=1, multi=True)
        self.loader = ctx.loader("person")
        self.suggest_loader = ctx.loader("suggestions")
        self._others: list[Person] = []
        self._suggestions: list[tuple[Person, float]] = []
        self.grid.setModel(self.model)
        self.photos = PhotosGrid(ctx, thumbs, name="person-photos")
        self._photos_of: int | None = None  # whose photos the Photos tab holds (None: to be loaded)

        top = QHBoxLayout()
        for w in (self.back_button, self.name, self.rename_button, self.born, self.hidden):
            top.addWidget(w)
        order = QHBoxLayout()
        order.addWidget(QLabel("Order:"))
        order.addWidget(self.order)
        order.addStretch()
        merge = QHBoxLayout()
        merge.addWidget(QLabel("Same person as:"))
        merge.addWidget(self.merge_target, 1)
        merge.addWidget(self.merge_button)
        acts = QHBoxLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        for text, key, method in ACTIONS:
            b = QPushButton(f"{text} ({key})")
            b.clicked.connect(getattr(self, method))
            QShortcut(QKeySequence(key), self, activated=getattr(self, method))
            acts.addWidget(b)
            self.action_buttons[method] = b
        acts.addStretch()
        acts.addWidget(self.move_button)
        acts.addWidget(self.move_target)
        acts.addWidget(self.undo_button)
        faces_tab = QWidget()
        faces = QVBoxLayout(faces_tab)
        faces.addLayout(order)
        faces.addLayout(merge)
        faces.addWidget(self.grid, 1)
        faces.addLayout(acts)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.photos, "Photos")
        self.tabs.addTab(faces_tab, "Faces")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.info)
        lay.addWidget(self.tabs, 1)

        self.back_button.clicked.connect(lambda: emit(self.back))
        self.rename_button.clicked.connect(self.rename)
        self.name.returnPressed.connect(self.rename)
        self.born.returnPressed.connect(self.set_birth_date)
        self.hidden.clicked.connect(self.set_hidden)
        self.merge_button.clicked.connect(self.merge)
        self.move_button.clicked.connect(self.move_selected)
        self.order.currentIndexChanged.connect(lambda _: self.refresh())
        self.undo_button.clicked.connect(self.undo)
        self.grid.activated.connect(lambda _: self.open_photo())
        self.photos.photo_requested.connect(lambda pid, path: emit(self.photo_requested, pid, path))
        self.tabs.currentChanged.connect(lambda _: self._load_photos())
        QShortcut(QKeySequence("M"), self, activated=self.move_selected)
        QShortcut(QKeySequence("Escape"), self, activated=lambda: emit(self.back))

    # -- showing a person --------------------------------------------------------------------
    def show_person(self, person_id: int) -> None:
        """A person opens on their photos (the Faces tab is one click away, for corrections)."""
        self.person_id = person_id
        self._photos_of = None
        self.tabs.setTabEnabled(0, True)
        self.tabs.setCurrentIndex(0)
        self.refresh()

    def show_unsorted(self) -> None:
        """The faces in no person: they can be moved to a person or marked as not a face."""
        self.person_id = UNSORTED
        self._photos_of = None
        self.tabs.setCurrentIndex(1)
        self.tabs.setTabEnabled(0, False)
        self.refresh()

    def _load_photos(self) -> None:
        """The Photos tab's list, read when it is shown and not yet read for this person."""
        pid = self.person_id
        if pid is None or pid == UNSORTED or self.tabs.currentWidget() is not self.photos or self._photos_of == pid:
            return
        self._photos_of = pid
        self.photos.model.hide_faces_of = {pid}
        self.photos.show_photos([pid])

    def _set_mode(self, unsorted: bool) -> None:
        for w in (self.name, self.rename_button, self.born, self.hidden, self.merge_target, self.merge_button, self.order):
            w.setEnabled(not unsorted)
        for method, b in self.action_buttons.items():
            b.setEnabled(not unsorted or method in ("not_a_face_selected", "open_photo"))

    def refresh(self) -> None:
        """Ask for the person's data in the background; `_apply` paints it when it arrives."""
        pid = self.person_id
        if pid is None:
            return
        if pid == UNSORTED:
            self.loader.load(lambda db: (None, services.unsorted_faces(db), services.list_people(db, True), None),
                             self._apply)
            return
        if self._photos_of == pid and self.tabs.currentWidget() is not self.photos:
            self._photos_of = None  # faces may have moved: the Photos tab reads again when next shown
        self._load_photos()
        least = bool(variant(self.order.currentData()))
        self.loader.load(lambda db: (services.person(db, pid), services.person_faces(db, pid, least),
                                     services.list_people(db, True), birth_date(db, pid)), self._apply)
        self.suggest_loader.load(lambda db: services.merge_suggestions(db, pid), self._apply_suggestions)

    def _apply(self, result: tuple) -> None:
        p, faces, people, birth = result
        self.model.set_faces(faces)
        self.move_target.clear()
        if self.person_id == UNSORTED:
            self._person = None
            self._set_mode(True)
            self.name.clear()
            self.name.setPlaceholderText("Unsorted faces")
            self.info.setText(f"<b>Unsorted</b> · {len(faces)} faces in no person yet: select some and move "
                              "them to a person, or mark them as not a face")
            self.merge_target.clear()
            for q in people:
                self.move_target.addItem(q.label, q.id)
            return
        if p is None:  # merged away or emptied
            self.person_id = self._person = None
            emit(self.back)
            return
        self._set_mode(False)
        self._person = p
        self.name.setText(p.name or "")
        self.name.setPlaceholderText(p.label)
        self.hidden.setChecked(p.hidden)
        age = age_on(birth, date.today().isoformat())
        self.info.setText(f"<b>{p.label}</b> · {p.faces} faces in {p.photos} photos"
                          + (f" · born {birth} (age {age})" if birth and age is not None else ""))
        if not self.born.hasFocus():
            self.born.setText(birth or "")
        if birth != self.photos.model.birth:  # the month headers say the age: read them again
            self.photos.model.birth = birth
            self._photos_of = None
            self._load_photos()
        if self._photos_of == p.id and self.photos.model.finished() and self.photos.model.total() != p.photos:
            self._photos_of = None  # photos came or went (an undo, a merge): read the Photos tab again
            self._load_photos()
        self._others = [q for q in people if q.id != p.id]
        for q in self._others:
            self.move_target.addItem(q.label, q.id)
        self._fill_merge_targets()

    def _apply_suggestions(self, suggestions: list) -> None:
        self._suggestions = suggestions
        self._fill_merge_targets()

    def _fill_merge_targets(self) -> None:
        """Suggestions (starred, most similar first), then everyone else."""
        self.merge_target.clear()
        others = {q.id for q in self._others}
        seen = set()
        for q, score in self._suggestions:
            if q.id in others:
                self.merge_target.addItem(f"★ {q.label} ({q.photos} photos, similarity {score:.2f})", q.id)
                seen.add(q.id)
        for q in self._others:
            if q.id not in seen:
                self.merge_target.addItem(f"{q.label} ({q.photos} photos)", q.id)

    def selected_face_ids(self) -> list[int]:
        rows = sorted(i.row() for i in self.grid.selectionModel().selectedIndexes())
        return [self.model.face_at(r).id for r in rows]

    # -- user actions: one service call each -------------------------------------------------
    def set_birth_date(self) -> None:
        """The birth date typed (YYYY-MM-DD; empty forgets it), as one undoable step."""
        if self.person_id is None or self.person_id == UNSORTED:
            return
        self.ctx.act(set_birth_date, self.person_id, self.born.text().strip() or None)

    def rename(self) -> None:
        if self.person_id is not None:
            self.ctx.act(services.rename, self.person_id, self.name.text())

    def set_hidden(self, hidden: bool) -> None:
        if self.person_id is not None:
            self.ctx.act(services.set_hidden, self.person_id, hidden)

    def merge(self) -> None:
        """Merge the chosen person into this one, after a question that shows both."""
        other_id = variant(self.merge_target.currentData())
        me = self._person
        other = next((q for q in self._others if q.id == other_id), None)
        if me is None or other is None or self.person_id != me.id or not self.ask_merge(me, other):
            return
        self.ctx.act(services.merge, me.id, other.id)  # the status bar then says "Merged … · Undo (Ctrl+Z)"

    def _ask_merge(self, me: Person, other: Person) -> bool:
        from faceapp.gui.views.merge_question import ask_merge

        return ask_merge(self, self.thumbs, me, other)

    def confirm_selected(self) -> None:
        if self.person_id != UNSORTED and (ids := self.selected_face_ids()):
            self.ctx.act(services.confirm, ids, self.person_id)

    def reject_selected(self) -> None:
        if self.person_id != UNSORTED and (ids := self.selected_face_ids()):
            self.ctx.act(services.reject, ids, self.person_id)

    def not_a_face_selected(self) -> None:
        if ids := self.selected_face_ids():
            self.ctx.act(services.not_a_face, ids)

    def split_selected(self) -> None:
        if self.person_id != UNSORTED and (ids := self.selected_face_ids()):
            self.ctx.act(services.split, self.person_id, ids)

    def move_selected(self) -> None:
        target = variant(self.move_target.currentData())
        if target is not None and (ids := self.selected_face_ids()):
            self.ctx.act(services.move, ids, target)

    def undo(self) -> None:
        """Undo the latest decision, wherever it was made (also Edit → Undo, Ctrl+Z, in every view)."""
        from faceapp.gui.services import feedback

        self.ctx.act(feedback.undo_step, then=self.ctx.say, tell=False)  # "Undone: … · Redo (Ctrl+Shift+Z)"

    def open_photo(self) -> None:
        """The photo chosen in the Photos tab, else that of the first face selected in the Faces tab."""
        row = self.photos.current_photo()
        if self.tabs.currentWidget() is self.photos and row >= 0:
            self.photos.open_row(row)
            return
        rows = sorted(i.row() for i in self.grid.selectionModel().selectedIndexes())
        if rows:
            f = self.model.face_at(rows[0])
            emit(self.photo_requested, f.photo_id, f.path)
