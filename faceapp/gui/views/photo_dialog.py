"""A photo with every face boxed and named; the photo is decoded in a worker, never the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QVBoxLayout, QWidget

from faceapp.gui import services
from faceapp.gui.context import LibraryContext
from faceapp.gui.images import load_photo_qimage
from faceapp.gui.loader import read_job
from faceapp.gui.workers import Task, run_task


def draw_faces(image: QImage, scale: float, faces: list[services.BoxedFace]) -> QPixmap:
    """Boxes are stored in original photo pixels; the shown image is `scale` of that."""
    pm = QPixmap.fromImage(image)
    p = QPainter(pm)
    pen = QPen(QColor(255, 210, 0), max(2.0, pm.width() / 300))
    font = QFont()
    font.setPixelSize(max(12, pm.width() // 40))
    p.setFont(font)
    for f in faces:
        x, y, w, h = (v * scale for v in f.box)
        p.setPen(pen)
        p.drawRect(QRectF(x, y, w, h))
        text_rect = QRectF(x, y + h + 2, max(w, 10 * len(f.label)), font.pixelSize() + 6)
        p.fillRect(text_rect, QColor(0, 0, 0, 170))
        p.setPen(QColor(255, 255, 255))
        p.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, " " + f.label)
    p.end()
    return pm


class PhotoDialog(QDialog):
    def __init__(self, ctx: LibraryContext, photo_id: int, path: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(path)
        self.resize(900, 700)
        self.faces: list[services.BoxedFace] = []
        self.label = QLabel("Loading…")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        area = QScrollArea()
        area.setWidget(self.label)
        area.setWidgetResizable(True)
        lay = QVBoxLayout(self)
        lay.addWidget(area)
        self.task: Task = run_task(read_job(ctx.pool, lambda db: (*load_photo_qimage(path), services.photo_faces(db, photo_id))),
                                   name="photo", on_done=self._loaded, on_error=self.label.setText)

    def _loaded(self, result: tuple[QImage, float, list[services.BoxedFace]]) -> None:
        image, scale, self.faces = result
        if 0 < max(image.width(), image.height()) < 640:  # small photos are enlarged to be readable
            factor = 640 / max(image.width(), image.height())
            image = image.scaled(round(image.width() * factor), round(image.height() * factor),
                                 Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            scale *= factor
        self.label.setPixmap(draw_faces(image, scale, self.faces))
