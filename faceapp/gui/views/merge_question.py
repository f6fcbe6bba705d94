""""Merge Person 7 into Ann?": the question before a merge, with both people's pictures side by side."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QMessageBox, QWidget

from faceapp.gui.services import Person
from faceapp.gui.thumbs import FaceThumbnails

SIDE = 112


def _photos(p: Person) -> str:
    return f"{p.photos} photo" + ("" if p.photos == 1 else "s")


def both_faces(thumbs: FaceThumbnails, me: Person, other: Person) -> QPixmap:
    """The other person's cover face, then this person's, side by side."""
    out = QPixmap(2 * SIDE + 16, SIDE)
    out.fill(Qt.GlobalColor.transparent)
    painter = QPainter(out)
    for i, p in enumerate((other, me)):
        pm = thumbs.pixmap(p.rep_face) if p.rep_face is not None else thumbs.placeholder()
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
