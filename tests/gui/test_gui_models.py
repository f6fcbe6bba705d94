"""The Qt models are thin and lazy: 100,000 faces cost one page of rows and no thumbnails
until painted; people sort, filter and hide on the plain list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt

from faceapp.gui.models.faces_model import PAGE, FacesModel
from faceapp.gui.models.people_model import PeopleModel
from faceapp.types import Face, Person


class FakeThumbs:
    """Records what was asked for; stands in for FaceThumbnails (same signal)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QObject, Signal

        class _S(QObject):
            ready = Signal(int)

        self._s = _S()
        self.ready = self._s.ready
        self.asked: list[int] = []

    def pixmap(self, face_id: int):
        self.asked.append(face_id)
        return None


def test_faces_model_pages_rows_and_loads_thumbnails_on_demand(qtbot):
    thumbs = FakeThumbs()
    model = FacesModel(thumbs)
    model.set_faces([Face(i, i, f"/p/{i}.jpg", 1, "cluster") for i in range(100_000)])
    assert model.rowCount() == PAGE and model.total() == 100_000 and thumbs.asked == []
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == 2 * PAGE
    model.data(model.index(7), Qt.ItemDataRole.DecorationRole)
    assert thumbs.asked == [7]
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as sig:
        thumbs.ready.emit(7)
    assert sig.args[0].row() == 7


def test_faces_grid_of_100k_scrolls_without_loading_everything(qtbot):
    from faceapp.gui.grid import make_grid

    thumbs = FakeThumbs()
    model = FacesModel(thumbs)
    model.set_faces([Face(i, i, f"/p/{i}.jpg", 1, "cluster") for i in range(100_000)])
    view = make_grid(96)
    view.setModel(model)
    view.resize(800, 600)
    qtbot.addWidget(view)
    view.show()
    qtbot.wait(50)
    for _ in range(5):
        view.scrollToBottom()
        qtbot.wait(20)
    assert model.rowCount() < 100_000  # pages arrive as the user scrolls, not all at once
    assert len(set(thumbs.asked)) < 500  # only painted tiles asked for their picture


def _people() -> list[Person]:
    return [Person(1, None, faces=9, photos=9, cover_face=11), Person(2, "Zoe", faces=2, photos=2, cover_face=12),
            Person(3, "anna", faces=4, photos=3, cover_face=13),
            Person(4, "Hidden Harry", hidden=True, faces=5, photos=5, cover_face=14),
            Person(5, None, faces=2, photos=2, cover_face=15)]


def test_people_model_sorts_filters_and_hides(qtbot):
    model = PeopleModel(FakeThumbs())
    model.set_people(_people())
    labels = lambda: [model.person_at(r).label for r in range(model.rowCount())]  # noqa: E731
    assert labels() == ["anna", "Zoe", "Person 1"]  # named first; Person 5 (2 faces, unnamed) is a small group
    assert model.set_aside() == 1
    model.set_view(sort_by="size")
    assert labels() == ["Person 1", "anna", "Zoe"]
    model.set_view(hide_small=False)
    assert labels() == ["Person 1", "anna", "Zoe", "Person 5"] and model.set_aside() == 0
    model.set_view(sort_by="name")
    assert labels() == ["anna", "Zoe", "Person 1", "Person 5"]
    model.set_view(query="ZO")
    assert labels() == ["Zoe"]
    model.set_view(query="", show_hidden=True)
    assert "Hidden Harry" in labels()
    assert "3 photos" in model.data(model.index(labels().index("anna")), Qt.ItemDataRole.DisplayRole)


def test_stall_bench_builds_a_grouped_library(tmp_path):
    """The big-library benchmark's builder (python -m faceapp.gui.stall_bench), at a tiny size."""
    from faceapp.gui import services
    from faceapp.gui.stall_bench import build_library
    from faceapp.storage.db import open_library
    from faceapp.storage.faces import face_count

    build_library(tmp_path / "b.db", faces=41, people=5)
    db = open_library(tmp_path / "b.db")
    assert face_count(db) == 41
    assert 1 <= len(services.list_people(db)) <= 5
