"""A photo with every face boxed and named, and the faces as actions.

- Drag a box around a face the detector missed: it is added as a face of the person you pick or type.
- Click a box: rename the person, move the face to another person, confirm it, "not a face", or
  delete a face you drew. Each is one undoable step (Ctrl+Z in the window).
- Previous / next photo of the person the viewer was opened from (← and → keys too).

The photo is decoded and the faces read in workers; adding a face (decode, detect, embed) runs on
the window's action thread. The GUI thread only paints.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QPushButton,
    QRubberBand,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import services
from faceapp.gui.context import LibraryContext
from faceapp.gui.images import load_photo_qimage
from faceapp.gui.loader import read_job
from faceapp.gui.qtcompat import emit
from faceapp.gui.services.people import (
    ViewerFace,
    add_face,
    assign_to_name,
    delete_faces,
    people_names,
    person_photo_list,
    viewer_faces,
)
from faceapp.gui.workers import Task, run_task

MIN_DRAG = 6  # screen pixels: a shorter drag is a click
DETECTED, DRAWN = QColor(255, 210, 0), QColor(0, 200, 255)


def draw_faces(image: QImage, scale: float, faces: list, selected: int | None = None) -> QPixmap:
    """Boxes are stored in original photo pixels; the shown image is `scale` of that. Faces the
    user drew are blue, the detector's yellow; the selected one is drawn thicker."""
    pm = QPixmap.fromImage(image)
    p = QPainter(pm)
    width = max(2.0, pm.width() / 300)
    font = QFont()
    font.setPixelSize(max(12, min(20, pm.width() // 60)))
    p.setFont(font)
    for f in faces:
        x, y, w, h = (v * scale for v in f.box)
        pen = QPen(DRAWN if getattr(f, "drawn", False) else DETECTED, width * (2 if f.face_id == selected else 1))
        p.setPen(pen)
        p.drawRect(QRectF(x, y, w, h))
        text_rect = QRectF(x, y + h + 2, max(w, font.pixelSize() * 0.6 * (len(f.label) + 2)), font.pixelSize() + 6)
        p.fillRect(text_rect, QColor(0, 0, 0, 170))
        p.setPen(QColor(255, 255, 255))
        p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, " " + f.label)
    p.end()
    return pm


class PhotoLabel(QLabel):
    """The photo; a drag draws a rubber band (`box_drawn`, label pixels), a click reports its point."""

    box_drawn = Signal(QRect)
    clicked = Signal(QPoint)

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self._origin: QPoint | None = None
        self._band = QRubberBand(QRubberBand.Shape.Rectangle, self)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 (Qt's name)
        if ev.button() == Qt.MouseButton.LeftButton and self.pixmap() is not None and not self.pixmap().isNull():
            self._origin = ev.position().toPoint()
            self._band.setGeometry(QRect(self._origin, QSize()))
            self._band.show()
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._origin is not None:
            self._band.setGeometry(QRect(self._origin, ev.position().toPoint()).normalized())
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        if self._origin is not None and ev.button() == Qt.MouseButton.LeftButton:
            rect = QRect(self._origin, ev.position().toPoint()).normalized()
            self._origin = None
            self._band.hide()
            if rect.width() >= MIN_DRAG and rect.height() >= MIN_DRAG:
                emit(self.box_drawn, rect)
            else:
                emit(self.clicked, ev.position().toPoint())
        super().mouseReleaseEvent(ev)


class PersonPicker(QDialog):
    """Pick a person or type a name (completion over the people's names); a new name makes a new person."""

    def __init__(self, title: str, names: list[str], current: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.addItems(names)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = QCompleter(names, self.combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.combo.setCompleter(completer)
        self.combo.setEditText(current)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Who is this? Pick a person or type a new name."))
        lay.addWidget(self.combo)
        lay.addWidget(buttons)

    def name(self) -> str:
        return self.combo.currentText().strip()


class PhotoDialog(QDialog):
    """One photo of the library. `photos` ((photo id, path), e.g. a person's photos newest first)
    gives previous/next; with `person_id` and no list, that person's photos are read for it."""

    def __init__(self, ctx: LibraryContext, photo_id: int, path: str, parent: QWidget | None = None,
                 photos: list[tuple[int, str]] | None = None, person_id: int | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.photo_id, self.path = photo_id, path
        self.person_id = person_id
        self.photos: list[tuple[int, str]] = list(photos or [])
        self.setWindowTitle(path)
        self.resize(900, 700)
        self.faces: list[ViewerFace] = []
        self.people: list[tuple[int, str]] = []
        self.image: QImage | None = None
        self.scale = 1.0  # shown pixels per photo pixel
        self.base_scale = 1.0  # decoded pixels per photo pixel
        self._refit = QTimer(self, singleShot=True, interval=60, timeout=self._paint)  # after a resize settles
        self.selected: int | None = None
        self.menu: QMenu | None = None
        # How the dialog asks the user (tests replace it): ask(kind, title, current) -> text or None;
        # kind "person" (pick or type a person) or "name" (free text).
        self.ask: Callable[[str, str, str], str | None] = self._ask
        self.label = PhotoLabel("Loading…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.box_drawn.connect(self._box_drawn)
        self.label.clicked.connect(self._clicked)
        self.area = QScrollArea()
        self.area.setWidget(self.label)
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prev_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.caption = QLabel()
        self.hint = QLabel("Drag a box around a face that was missed · click a box for its actions")
        self.hint.setStyleSheet("color: palette(mid)")
        bar = QHBoxLayout()
        bar.addWidget(self.prev_button)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.next_button)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.area, 1)
        lay.addWidget(self.hint)
        self.task: Task | None = None
        self.faces_task: Task | None = None
        ctx.changed.connect(self._changed)
        QShortcut(QKeySequence.StandardKey.Undo, self, self.undo)
        if not self.photos and person_id is not None:
            run_task(read_job(ctx.pool, lambda db: person_photo_list(db, person_id)), name="photo-list",
                     on_done=self._got_list)
        self._update_nav()
        self._load()

    # --- loading -------------------------------------------------------------------------------

    def _load(self) -> None:
        pid, path = self.photo_id, self.path
        self.setWindowTitle(path)
        self.task = run_task(read_job(self.ctx.pool, lambda db: (*load_photo_qimage(path), viewer_faces(db, pid),
                                                                  people_names(db), pid)),
                             name="photo", on_done=self._loaded, on_error=self.label.setText)

    def _loaded(self, result: tuple[QImage, float, list[ViewerFace], list[tuple[int, str]], int]) -> None:
        image, scale, faces, people, pid = result
        if pid != self.photo_id:  # another photo was asked for meanwhile
            return
        if 0 < max(image.width(), image.height()) < 640:  # small photos are enlarged to be readable
            factor = 640 / max(image.width(), image.height())
            image = image.scaled(round(image.width() * factor), round(image.height() * factor),
                                 Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            scale *= factor
        self.image, self.base_scale, self.faces, self.people = image, scale, faces, people
        self._paint()

    def reload_faces(self) -> None:
        pid = self.photo_id
        self.faces_task = run_task(read_job(self.ctx.pool, lambda db: (viewer_faces(db, pid), people_names(db), pid)),
                                   name="photo-faces", on_done=self._faces_loaded)

    def _faces_loaded(self, result: tuple[list[ViewerFace], list[tuple[int, str]], int]) -> None:
        faces, people, pid = result
        if pid == self.photo_id:
            self.faces, self.people = faces, people
            self._paint()

    def _changed(self, topic: str) -> None:
        if topic in ("people", "photos"):
            self.reload_faces()

    def _paint(self) -> None:
        """Draw the photo fitted to the window (never enlarged past its decode) with its boxes."""
        if self.image is None:
            return
        room = self.area.viewport().size()
        fit = min(1.0, max(64, room.width() - 2) / self.image.width(), max(64, room.height() - 2) / self.image.height())
        shown = self.image if fit >= 1.0 else self.image.scaled(
            round(self.image.width() * fit), round(self.image.height() * fit),
            Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.scale = self.base_scale * shown.width() / self.image.width()  # shown pixels per photo pixel
        pm = draw_faces(shown, self.scale, self.faces, self.selected)
        self.label.setPixmap(pm)
        self.label.resize(pm.size())

    # --- previous / next -----------------------------------------------------------------------

    def _got_list(self, photos: list[tuple[int, str]]) -> None:
        if not self.photos:
            self.photos = photos
            self._update_nav()

    def _index(self) -> int | None:
        return next((i for i, (p, _) in enumerate(self.photos) if p == self.photo_id), None)

    def _update_nav(self) -> None:
        i = self._index()
        self.prev_button.setEnabled(i is not None and i > 0)
        self.next_button.setEnabled(i is not None and i < len(self.photos) - 1)
        self.caption.setText(f"{i + 1} of {len(self.photos)}  ·  {self.path}" if i is not None else self.path)

    def step(self, delta: int) -> None:
        """Show the previous (-1) or next (+1) photo of the list."""
        i = self._index()
        if i is None or not 0 <= i + delta < len(self.photos):
            return
        self.photo_id, self.path = self.photos[i + delta]
        self.selected = None
        self.image = None
        self.label.setPixmap(QPixmap())
        self.label.setText("Loading…")
        self.label.adjustSize()
        self._update_nav()
        self._load()

    def resizeEvent(self, ev) -> None:  # noqa: ANN001, N802 (Qt's name)
        super().resizeEvent(ev)
        self._refit.start()

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if ev.key() in (Qt.Key.Key_Left, Qt.Key.Key_PageUp):
            self.step(-1)
        elif ev.key() in (Qt.Key.Key_Right, Qt.Key.Key_PageDown):
            self.step(1)
        else:
            super().keyPressEvent(ev)

    # --- drawing a face ------------------------------------------------------------------------

    def to_photo(self, rect: QRect) -> tuple[float, float, float, float]:
        """A rectangle of the shown photo (label pixels) in photo pixels."""
        s = self.scale or 1.0
        return rect.x() / s, rect.y() / s, rect.width() / s, rect.height() / s

    def _box_drawn(self, rect: QRect) -> None:
        if self.image is None:
            return
        name = self.ask("person", "Add a face", "")
        if name:
            self.add_face(self.to_photo(rect), name)

    def add_face(self, box: tuple[float, float, float, float], name: str) -> None:
        """Add the face in `box` (photo pixels) as the person called `name` (decoded and embedded on
        the action thread); the boxes are read again once it is written."""
        self.ctx.say(f"Adding a face for {name}…")
        self.ctx.act(add_face, self.photo_id, box, name, topic="people")

    # --- a face's actions ----------------------------------------------------------------------

    def face_at(self, point: QPoint) -> ViewerFace | None:
        """The face whose box holds this point of the shown photo (the smallest, when boxes nest)."""
        x, y = point.x() / (self.scale or 1.0), point.y() / (self.scale or 1.0)
        hits = [f for f in self.faces if f.box[0] <= x <= f.box[0] + f.box[2] and f.box[1] <= y <= f.box[1] + f.box[3]]
        return min(hits, key=lambda f: f.box[2] * f.box[3]) if hits else None

    def _clicked(self, point: QPoint) -> None:
        face = self.face_at(point)
        self.selected = face.face_id if face else None
        self._paint()
        if face is not None:
            self.menu = self.face_menu(face)
            self.menu.popup(self.label.mapToGlobal(point))

    def face_menu(self, face: ViewerFace) -> QMenu:
        """The actions of one face box (each one undoable step)."""
        menu = QMenu(self)
        person = next((lbl for p, lbl in self.people if p == face.person_id), None) if face.person_id else None
        if face.person_id is not None:
            menu.addAction(f"Rename “{person or face.label}”…", lambda: self._rename(face, person or ""))
            menu.addAction("Move to another person…", lambda: self._move(face, ""))
            if not face.decided:
                menu.addAction(f"Confirm as {person or face.label}",
                               lambda: self.ctx.act(services.confirm, [face.face_id], face.person_id))
        else:
            menu.addAction("Name this face…", lambda: self._move(face, ""))
        menu.addSeparator()
        menu.addAction("Not a face", lambda: self.ctx.act(services.not_a_face, [face.face_id]))
        if face.drawn:
            menu.addAction("Delete this face", lambda: self.ctx.act(delete_faces, [face.face_id]))
        return menu

    def _rename(self, face: ViewerFace, current: str) -> None:
        name = self.ask("name", "Rename", current)
        if name is not None and face.person_id is not None:
            self.ctx.act(services.rename, face.person_id, name)

    def _move(self, face: ViewerFace, current: str) -> None:
        name = self.ask("person", "Move to", current)
        if name:
            self.ctx.act(assign_to_name, [face.face_id], name)

    def undo(self) -> None:
        """Ctrl+Z here too: the latest decision, wherever it was made, is taken back."""
        self.ctx.act(services.undo, tell=False, then=lambda words: self.ctx.say(f"Undone: {words}" if words
                                                                                else "Nothing to undo"))

    def _ask(self, kind: str, title: str, current: str) -> str | None:
        if kind == "name":
            text, ok = QInputDialog.getText(self, title, "Name:", text=current)
            return text if ok else None
        picker = PersonPicker(title, [lbl for _, lbl in self.people], current, self)
        return picker.name() if picker.exec() == QDialog.DialogCode.Accepted else None
