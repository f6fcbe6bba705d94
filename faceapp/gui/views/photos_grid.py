"""A grid of whole photos, newest first, under year and month headers, with small faces of the
people in each photo on its tile. Used by the person page's Photos tab and the Photos page.

The list comes from a background read, a page at a time as the grid scrolls near its end
(faceapp.gui.services.photos); thumbnails come from the disk cache (faceapp.gui.thumbs.PhotoThumbnails).
Clicking a photo asks for the photo viewer (`photo_requested`)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from faceapp.gui.context import LibraryContext
from faceapp.gui.models.photos_model import PhotosModel
from faceapp.gui.qtcompat import emit
from faceapp.gui.services.photos import PhotosPage, photos_page
from faceapp.gui.thumbs import FaceThumbnails, PhotoThumbnails, photo_thumbnails
from faceapp.gui.views.photos_view import PhotoGridView

TILE = 160  # the photo's square on a tile
FACE = 30  # a small face on a tile
MAX_FACES = 4
PAGE = 300
HEADER_HEIGHT = {"year": 42, "month": 30}


class TilePainter:
    """Paints a header line or a photo tile straight from the model's rows (a grid that scrolls
    through thousands of tiles can't afford a round trip through Qt's item data for each)."""

    def __init__(self, widget: QWidget, model: PhotosModel, faces: FaceThumbnails | None) -> None:
        self.widget = widget
        self.model = model
        self.faces = faces

    def __call__(self, painter: QPainter, rect: QRect, row_index: int, current: bool) -> None:
        row = self.model.row(row_index)
        palette = self.widget.palette()
        if row.photo is None:
            self._paint_header(painter, rect, palette, row.kind, row.text)
            return
        if current:
            painter.fillRect(rect.adjusted(-3, -3, 3, 3), palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight))
        pm = self.model.thumbs.pixmap(row.photo.path)
        if not pm.isNull():
            w, h = pm.width(), pm.height()
            if max(w, h) > TILE:
                size = pm.size().scaled(TILE, TILE, Qt.AspectRatioMode.KeepAspectRatio)
                w, h = size.width(), size.height()
            painter.drawPixmap(QRect(rect.left() + (TILE - w) // 2, rect.top() + (TILE - h) // 2, w, h), pm)
        self._paint_faces(painter, rect, self.model.tile_faces(row.photo))

    def _paint_header(self, painter: QPainter, r: QRect, palette: QPalette, kind: str, text: str) -> None:
        painter.save()
        font = QFont(self.widget.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * (1.6 if kind == "year" else 1.15))
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText))
        painter.drawText(r.adjusted(0, 0, 0, -4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, text)
        if kind == "year":
            painter.setPen(QPen(palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Mid), 1))
            painter.drawLine(r.left(), r.bottom(), r.right(), r.bottom())
        painter.restore()

    def _paint_faces(self, painter: QPainter, square: QRect, faces: list) -> None:
        if self.faces is None or not faces:
            return
        painter.save()
        x, y = square.left() + 3, square.top() + TILE - FACE - 3
        painter.setPen(QPen(QColor(255, 255, 255), 2))
        for fid, _pid, _label in faces[:MAX_FACES]:
            box = QRect(x, y, FACE, FACE)
            painter.drawPixmap(box, self.faces.pixmap(fid))
            painter.drawRect(box)
            x += FACE + 3
        if len(faces) > MAX_FACES:
            box = QRect(x, y, FACE, FACE)
            painter.fillRect(box, QColor(0, 0, 0, 160))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"+{len(faces) - MAX_FACES}")
        painter.restore()


class PhotosGrid(QWidget):
    """show(with_ids, without) fills the grid; `loaded(total)` says how many photos the list has."""

    photo_requested = Signal(int, str)  # photo id, path
    loaded = Signal(int)

    def __init__(self, ctx: LibraryContext, faces: FaceThumbnails | None = None,
                 thumbs: PhotoThumbnails | None = None, name: str = "photos", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.thumbs = thumbs or photo_thumbnails()
        self.model = PhotosModel(self.thumbs, faces)
        self.model.want_page = self._want_page
        self.loader = ctx.loader(name)
        self.loader.failed.connect(ctx.say)
        self.with_ids: list[int] = []
        self.without: list[int] = []
        self._opened: tuple[int, float] = (-1, 0.0)
        view = self.view = PhotoGridView(self.model, TILE, HEADER_HEIGHT, TilePainter(self, self.model, faces))
        view.clicked.connect(self.open_row)
        view.activated.connect(self.open_row)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(view)

    def show_photos(self, with_ids: Sequence[int], without: Sequence[int] = ()) -> None:
        """The photos where all of with_ids appear and none of without (with_ids empty: every photo)."""
        self.with_ids, self.without = list(with_ids), list(without)
        self.thumbs.drop_requests()
        self.model.clear(loading=True)
        self.view.verticalScrollBar().setValue(0)
        self.view.current = -1
        self._want_page(0)

    def reload(self) -> None:
        self.show_photos(self.with_ids, self.without)

    def _want_page(self, offset: int) -> None:
        w, wo = list(self.with_ids), list(self.without)
        self.loader.load(lambda db: photos_page(db, w, wo, offset, PAGE), self._page)

    def _page(self, page: PhotosPage) -> None:
        self.model.add_page(page)
        if page.months is not None:
            emit(self.loaded, self.model.total())

    def current_photo(self) -> int:
        """The model row of the photo chosen (clicked or reached with the arrow keys), or -1."""
        return self.view.current

    def open_row(self, row: int) -> None:
        p = self.model.row(row).photo if 0 <= row < self.model.rowCount() else None
        if p is None:
            return
        now = time.monotonic()
        if self._opened[0] == p.id and now - self._opened[1] < 0.8:  # a double click: clicked, then activated
            return
        self._opened = (p.id, now)
        emit(self.photo_requested, p.id, p.path)
