""""Merge Person 7 into Ann?": the question before a merge, with both (or all) people's pictures side
by side, and which name the merged person keeps."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.services.feedback import and_list
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.types import Person

SIDE = 112


def _photos(p: Person) -> str:
    return f"{p.photos} photo" + ("" if p.photos == 1 else "s")


def both_faces(thumbs: FaceThumbnails, me: Person, other: Person) -> QPixmap:
    """The other person's cover face, then this person's, side by side."""
    out = QPixmap(2 * SIDE + 16, SIDE)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    for i, p in enumerate((other, me)):
        pm = thumbs.pixmap(p.cover_face) if p.cover_face is not None else thumbs.placeholder()
        painter.drawPixmap(i * (SIDE + 16), 0, pm.scaled(SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                                       Qt.TransformationMode.SmoothTransformation))
    painter.end()
    return out


def merge_text(me: Person, other: Person) -> str:
    return (f"Merge <b>{other.label}</b> ({_photos(other)}, left) into <b>{me.label}</b> ({_photos(me)}, right)?"
            f"<br><br>Every face of {other.label} becomes {me.label}'s. Edit → Undo takes it back.")


def ask_merge(parent: QWidget, thumbs: FaceThumbnails, me: Person, other: Person) -> bool:
    box = QMessageBox(parent)
    box.setWindowTitle("Merge two people")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(merge_text(me, other))
    box.setIconPixmap(both_faces(thumbs, me, other))
    merge = box.addButton("Merge", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is merge


def default_keep(people: list[Person]) -> Person:
    """The person the others join unless the user picks another: a named one, then the biggest."""
    return min(people, key=lambda p: (p.name is None, -p.faces, p.id))


def kept_name(keep: Person, others: list[Person]) -> str:
    """The merged person's name, as merge_people gives it: the kept person's, or else the first
    (lowest id) named one among the others."""
    if keep.name:
        return keep.label
    return next((p.label for p in sorted(others, key=lambda p: p.id) if p.name), keep.label)


class MergeDialog(QDialog):
    """Several people into one: each one's cover face and name, a choice of whom to keep, and the
    outcome in words. `keep()` is the chosen person after exec() returns Accepted."""

    def __init__(self, parent: QWidget | None, thumbs: FaceThumbnails, people: list[Person]) -> None:
        super().__init__(parent)
        self.people = people
        self.setWindowTitle(f"Merge {len(people)} people")
        grid = QGridLayout()
        self.choice = QButtonGroup(self)
        self.covers: list[QLabel] = []
        first = default_keep(people)
        for col, p in enumerate(people):
            cover = QLabel()
            pm = thumbs.pixmap(p.cover_face) if p.cover_face is not None else thumbs.placeholder()
            cover.setPixmap(pm.scaled(SIDE, SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))
            cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.covers.append(cover)
            radio = QRadioButton(f"{p.label}\n{_photos(p)}")
            radio.setToolTip(f"Keep {p.label}: the others' faces join them")
            radio.setChecked(p is first)
            self.choice.addButton(radio, col)
            grid.addWidget(cover, 0, col)
            grid.addWidget(radio, 1, col, Qt.AlignmentFlag.AlignHCenter)
        self.outcome = QLabel()
        self.outcome.setTextFormat(Qt.TextFormat.RichText)
        self.outcome.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.merge_button = buttons.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("These become one person. Whom do they join?"))
        lay.addLayout(grid)
        lay.addWidget(self.outcome)
        lay.addWidget(buttons)
        self.choice.idToggled.connect(lambda _id, on: on and self._say())
        self._say()

    def keep(self) -> Person:
        return self.people[self.choice.checkedId()]

    def others(self) -> list[Person]:
        keep = self.keep()
        return [p for p in self.people if p is not keep]

    def _say(self) -> None:
        keep, others = self.keep(), self.others()
        faces = sum(p.faces for p in self.people)
        self.outcome.setText(
            f"Every face of {and_list([f'<b>{p.label}</b>' for p in others])} joins <b>{keep.label}</b>. "
            f"The merged person is called <b>{kept_name(keep, others)}</b> ({faces} faces). "
            "Edit → Undo (Ctrl+Z) takes it back in one step.")


def ask_merge_many(parent: QWidget, thumbs: FaceThumbnails, people: list[Person]) -> Person | None:
    """The person to keep, or None when the user cancels."""
    dlg = MergeDialog(parent, thumbs, people)
    return dlg.keep() if dlg.exec() == QDialog.DialogCode.Accepted else None
