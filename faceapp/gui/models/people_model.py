"""People as a list model: filter and sort happen on the plain list; tiles load lazily."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QIcon

from faceapp.gui.look import round_pixmap
from faceapp.gui.qtcompat import emit
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.thumbs import icon as _icon
from faceapp.types import Person

PersonRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
SMALL = 3  # an unnamed group of fewer faces is "small": often a dog, a blur, a stranger in the background


def is_small(p: Person) -> bool:
    return p.name is None and p.faces < SMALL


class PeopleModel(QAbstractListModel):
    renamed = Signal(int, str)  # person id, the name typed in the tile (F2)

    def __init__(self, thumbs: FaceThumbnails) -> None:
        super().__init__()
        self._all: list[Person] = []
        self._rows: list[Person] = []
        self._row_of_face: dict[int, int] = {}
        self.query = ""
        self.sort_by = "named"  # named (named first, then biggest) | size | name
        self.show_hidden = False
        self.hide_small = True
        self.thumbs = thumbs
        self._avatars: dict[int, QIcon] = {}  # face id -> round avatar
        self._waiting: QIcon | None = None  # the round placeholder
        thumbs.ready.connect(self._face_ready)

    def set_people(self, people: list[Person]) -> None:
        self._all = people
        self._apply()

    def set_view(self, query: str | None = None, sort_by: str | None = None, show_hidden: bool | None = None,
                 hide_small: bool | None = None) -> None:
        if query is not None:
            self.query = query
        if sort_by is not None:
            self.sort_by = sort_by
        if show_hidden is not None:
            self.show_hidden = show_hidden
        if hide_small is not None:
            self.hide_small = hide_small
        self._apply()

    def set_aside(self) -> int:
        """Small groups (not hidden) that the grid leaves out for "Hide small groups"."""
        return sum(1 for p in self._all if not p.hidden and is_small(p)) if self.hide_small else 0

    def _apply(self) -> None:
        q = self.query.strip().lower()
        rows = [p for p in self._all if (self.show_hidden or not p.hidden) and (not q or q in p.label.lower())
                and not (self.hide_small and is_small(p))]
        if self.sort_by == "named":  # the people you named first, each group biggest first
            rows.sort(key=lambda p: (p.name is None, -p.photos, -p.faces, p.id))
        elif self.sort_by == "name":
            # Named people first, alphabetically; the unnamed after them, biggest first.
            rows.sort(key=lambda p: (p.name is None, (p.name or "").lower(), -p.photos))
        else:
            rows.sort(key=lambda p: (-p.photos, -p.faces, p.id))
        self.beginResetModel()
        self._rows = rows
        self._row_of_face = {p.cover_face: i for i, p in enumerate(rows) if p.cover_face is not None}
        self.endResetModel()

    def person_at(self, row: int) -> Person:
        return self._rows[row]

    def flags(self, index: Index) -> Qt.ItemFlag:
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable if index.isValid() else super().flags(index)

    def setData(self, index: Index, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """A name typed in the tile: the view writes it (an action), the list refreshes after."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        p = self._rows[index.row()]
        name = str(value or "").strip()
        if name != (p.name or ""):
            emit(self.renamed, p.id, name)
        return True

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        p = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            photos = f"{p.photos} photo" + ("" if p.photos == 1 else "s")
            return f"{p.label}\n{photos}" + (" · hidden" if p.hidden else "")
        if role == Qt.ItemDataRole.EditRole:
            return p.name or ""
        if role == Qt.ItemDataRole.DecorationRole:
            # A tile always has a picture of the full size, a grey one when the person has no face to
            # show: the grid (uniform item sizes) measures one tile for all, and a tile with no picture
            # squeezed every tile into a strip with no name.
            return self._avatar(p.cover_face)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{p.label}: {p.faces} faces in {p.photos} photos"
        if role == PersonRole:
            return p
        return None

    def _avatar(self, face_id: int | None) -> QIcon | None:
        """The person's cover face in a circle, made once per face (a grey disc while it loads)."""
        icon = self._avatars.get(face_id) if face_id is not None else None
        if icon is not None:
            return icon
        if face_id is not None and self.thumbs.has(face_id):
            icon = self._avatars[face_id] = _icon(round_pixmap(self.thumbs.pixmap(face_id)))
            if len(self._avatars) > 4000:  # (thousands of people: forget the oldest half; they are remade)
                for k in list(self._avatars)[:2000]:
                    del self._avatars[k]
            return icon
        if face_id is not None:
            self.thumbs.request(face_id)
        if self._waiting is None:
            self._waiting = _icon(round_pixmap(self.thumbs.placeholder()))
        return self._waiting

    def _face_ready(self, face_id: int) -> None:
        self._avatars.pop(face_id, None)
        row = self._row_of_face.get(face_id)
        if row is not None:
            idx = self.index(row)
            emit(self.dataChanged, idx, idx, [Qt.ItemDataRole.DecorationRole])
