"""Photos for a grid, newest first, under year and month headers. Pages of photos arrive from a
background read (the view asks through `want_page` when the grid scrolls near the end), and photo
thumbnails only when a tile is painted, so a list of 100,000 photos costs nothing up front."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from faceapp.gui.qtcompat import emit
from faceapp.gui.services.photos import Photo, PhotosPage, month_title
from faceapp.gui.thumbs import FaceThumbnails, PhotoThumbnails
from faceapp.jobs.birth_date import age_on

PhotoRole = Qt.ItemDataRole.UserRole + 3
KindRole = Qt.ItemDataRole.UserRole + 4  # "year" | "month" | "photo"
FacesRole = Qt.ItemDataRole.UserRole + 5  # [(face id, person id, label)] of the small faces on a tile
Index = QModelIndex | QPersistentModelIndex


@dataclass
class Row:
    kind: str  # "year" | "month" | "photo"
    text: str = ""
    photo: Photo | None = None


def month_of(photo: Photo) -> str | None:
    return photo.date[:7] if photo.date else None


class PhotosModel(QAbstractListModel):
    def __init__(self, thumbs: PhotoThumbnails, faces: FaceThumbnails | None = None) -> None:
        super().__init__()
        self.thumbs = thumbs
        self.face_thumbs = faces
        self.want_page: Callable[[int], None] = lambda offset: None  # the view loads, then add_page
        self.hide_faces_of: set[int] = set()  # people not drawn on the tiles (the person page's own)
        self.birth: str | None = None  # the person page's person's birth date: month headers say the age
        self._rows: list[Row] = []
        self._months: dict[str | None, int] = {}
        self._photos = 0
        self._done = True
        self._asking = False
        self._row_of_photo: dict[str, int] = {}
        self._rows_of_face: dict[int, list[int]] = {}
        thumbs.ready.connect(self._photo_ready)
        if faces is not None:
            faces.ready_many.connect(self._faces_ready)

    # -- filling ---------------------------------------------------------------------------------
    def clear(self, loading: bool = True) -> None:
        """Empty; with `loading`, the first page is on its way (set_first_page follows)."""
        self.beginResetModel()
        self._rows, self._months, self._photos = [], {}, 0
        self._row_of_photo, self._rows_of_face = {}, {}
        self._done, self._asking = not loading, loading
        self.endResetModel()

    def add_page(self, page: PhotosPage) -> None:
        if page.offset != self._photos:  # a page of an older list, or one already added
            return
        self._asking = False
        if page.months is not None:
            self._months = page.months
        new = self._rows_for(page.photos)
        self._done = page.done
        if new:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for i, row in enumerate(new, start=first):
                self._index_row(i, row)
            self._rows.extend(new)
            self._photos += len(page.photos)
            self.endInsertRows()

    def _rows_for(self, photos: list[Photo]) -> list[Row]:
        """The page's photos, with a header row before each new month (and each new year)."""
        last = next((r.photo for r in reversed(self._rows) if r.photo is not None), None)
        month: str | None | bool = month_of(last) if last else False  # False: nothing shown yet
        out: list[Row] = []
        for p in photos:
            m = month_of(p)
            if m != month:
                year, name = month_title(m)
                n = self._months.get(m)
                count = f"  ·  {n} photo" + "s" * (n != 1) if n else ""
                if m is None:
                    out.append(Row("year", "No date" + count))
                else:
                    if not isinstance(month, str) or month[:4] != year:
                        out.append(Row("year", year))
                    age = age_on(self.birth, f"{m}-15")  # mid-month: the headers' age is the month's
                    out.append(Row("month", f"{name} {year}{count}" + ("" if age is None else f"  ·  age {age}")))
                month = m
            out.append(Row("photo", photo=p))
        return out

    def _index_row(self, i: int, row: Row) -> None:
        if row.photo is None:
            return
        self._row_of_photo[row.photo.path] = i
        for fid, _ in row.photo.faces:
            self._rows_of_face.setdefault(fid, []).append(i)

    # -- what the grid asks ----------------------------------------------------------------------
    def photo_count(self) -> int:
        """Photos loaded so far."""
        return self._photos

    def total(self) -> int:
        """Photos in the whole list (known from the first page's month counts)."""
        return sum(self._months.values())

    def photos(self) -> list[Photo]:
        return [r.photo for r in self._rows if r.photo is not None]

    def row(self, i: int) -> Row:
        return self._rows[i]

    def months(self) -> list[str]:
        """The month headers' texts, in order (for tests and the stall bench)."""
        return [r.text for r in self._rows if r.kind == "month"]

    def finished(self) -> bool:
        return self._done and not self._asking

    def tile_faces(self, p: Photo) -> list[tuple[int, int, str]]:
        """(face id, person id, label) of the small faces drawn on the photo's tile."""
        if not p.faces:
            return []
        label = dict(p.people)
        return [(fid, pid, label.get(pid, "")) for fid, pid in p.faces if pid not in self.hide_faces_of]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self._done and not self._asking

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._asking = True
            self.want_page(self._photos)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and self._rows[index.row()].kind != "photo":
            return Qt.ItemFlag.ItemIsEnabled  # a header: read, never selected
        return super().flags(index)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        r = self._rows[index.row()]
        if role == KindRole:
            return r.kind
        if r.photo is None:
            return r.text if role == Qt.ItemDataRole.DisplayRole else None
        p = r.photo
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbs.pixmap(p.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            names = ", ".join(n for _, n in p.people) or "nobody known"
            when = {"exif": "taken", "file": "file date"}.get(p.dated_by, "no date")
            return f"{p.path.rsplit('/', 1)[-1]}\n{when} {(p.date or '').replace('T', ' ')}\n{names}"
        if role == FacesRole:
            return self.tile_faces(p)
        if role == PhotoRole:
            return p
        return None

    def _photo_ready(self, paths: list[str]) -> None:
        """One change over the rows of a batch (the view repaints only what it shows of them)."""
        rows = [r for p in paths if (r := self._row_of_photo.get(p)) is not None]
        if rows:
            emit(self.dataChanged, self.index(min(rows)), self.index(max(rows)), [Qt.ItemDataRole.DecorationRole])

    def _faces_ready(self, face_ids: list[int]) -> None:
        rows = [r for f in face_ids for r in self._rows_of_face.get(f, ())]
        if rows:
            emit(self.dataChanged, self.index(min(rows)), self.index(max(rows)), [Qt.ItemDataRole.DecorationRole])
