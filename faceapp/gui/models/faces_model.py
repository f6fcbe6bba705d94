"""Faces of one person (or any list of faces) for a grid: rows arrive in pages through
fetchMore and thumbnails only when a row is painted, so 100,000 faces cost nothing up front."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from faceapp.gui.qtcompat import emit
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.thumbs import icon as _icon
from faceapp.types import Face

FaceRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex
PAGE = 500


class FacesModel(QAbstractListModel):
    def __init__(self, thumbs: FaceThumbnails, caption: Callable[[Face], str] | None = None) -> None:
        super().__init__()
        self._faces: list[Face] = []
        self._shown = 0
        self._row_of: dict[int, int] = {}
        self.caption = caption
        self.thumbs = thumbs
        thumbs.ready.connect(self._face_ready)

    def set_faces(self, faces: list[Face]) -> None:
        self.beginResetModel()
        self._faces = faces
        self._row_of = {f.id: i for i, f in enumerate(faces)}
        self._shown = min(PAGE, len(faces))
        self.endResetModel()

    def face_at(self, row: int) -> Face:
        return self._faces[row]

    def total(self) -> int:
        return len(self._faces)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._shown < len(self._faces)

    def fetchMore(self, parent: Index) -> None:
        n = min(PAGE, len(self._faces) - self._shown)
        if n <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + n - 1)
        self._shown += n
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= self._shown:
            return None
        f = self._faces[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return _icon(self.thumbs.pixmap(f.id))
        if role == Qt.ItemDataRole.DisplayRole and self.caption:
            return self.caption(f)
        if role == Qt.ItemDataRole.ToolTipRole:
            how = {"confirmed": "confirmed", "user": "placed by you"}.get(f.source, "grouped automatically")
            return f"face {f.id} · {f.path.rsplit('/', 1)[-1]} · {how}"
        if role == FaceRole:
            return f
        return None

    def _face_ready(self, face_id: int) -> None:
        row = self._row_of.get(face_id)
        if row is not None and row < self._shown:
            idx = self.index(row)
            emit(self.dataChanged, idx, idx, [Qt.ItemDataRole.DecorationRole])
