"""People: a grid of person tiles with search, sort and the hidden people on request."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import services
from faceapp.gui.background import recluster_job
from faceapp.gui.context import LibraryContext
from faceapp.gui.grid import make_grid
from faceapp.gui.models.people_model import PeopleModel
from faceapp.gui.progress_text import describe_progress
from faceapp.gui.qtcompat import emit, variant
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.workers import Task, run_task


class PeopleView(QWidget):
    person_opened = Signal(int)
    unsorted_opened = Signal()

    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model = PeopleModel(thumbs)
        self.loader = ctx.loader("people")
        self.search = QLineEdit(placeholderText="Search by name…")
        self.search.setClearButtonEnabled(True)
        self.sort = QComboBox()
        self.sort.addItem("Most photos first", "size")
        self.sort.addItem("By name", "name")
        self.show_hidden = QCheckBox("Show hidden people")
        self.open_button = QPushButton("Open")
        self.unsorted_button = QPushButton("Unsorted faces")
        self.regroup_button = QPushButton("Re-group people")
        self.regroup_button.setToolTip("Cluster again with the current strictness; every decision you made is kept")
        self.task: Task | None = None
        self.summary = QLabel()
        self.grid = make_grid(112, caption_lines=2)
        self.grid.setModel(self.model)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.sort)
        bar.addWidget(self.show_hidden)
        bar.addWidget(self.open_button)
        bar.addWidget(self.unsorted_button)
        bar.addWidget(self.regroup_button)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.grid, 1)
        lay.addWidget(self.summary)

        self.search.textChanged.connect(lambda t: self.model.set_view(query=t))
        self.sort.currentIndexChanged.connect(lambda _: self.model.set_view(sort_by=variant(self.sort.currentData())))
        self.show_hidden.toggled.connect(lambda on: self.model.set_view(show_hidden=on))
        self.grid.activated.connect(self._activated)
        self.open_button.clicked.connect(self.open_selected)
        self.unsorted_button.clicked.connect(self.open_unsorted)
        self.regroup_button.clicked.connect(self.regroup)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, activated=self.search.setFocus)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._menu)
        ctx.changed.connect(lambda topic: topic in ("people", "models") and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self.loader.load(lambda db: (services.list_people(db, include_hidden=True), len(services.unsorted_faces(db))),
                         self._apply)

    def _apply(self, result: tuple[list[services.Person], int]) -> None:
        people, unsorted = result
        self.model.set_people(people)
        shown = [p for p in people if not p.hidden]  # "N people" counts those the grid shows
        named = sum(1 for p in shown if p.name)
        self.unsorted_button.setText(f"Unsorted faces ({unsorted})")
        self.unsorted_button.setEnabled(unsorted > 0)
        self.summary.setText(f"{len(shown)} people · {named} named · {len(people) - len(shown)} hidden")

    def regroup(self) -> Task | None:
        if self.task is not None or "scan" in self.ctx.busy:
            return None
        self.regroup_button.setEnabled(False)
        self.summary.setText("Re-grouping people…")
        self.ctx.busy.add("re-group")  # it writes to the library: no switch or import meanwhile
        self.task = run_task(recluster_job(self.ctx.path, self.ctx.settings.strictness), name="recluster",
                             on_progress=lambda p: self.summary.setText(describe_progress(p)),
                             on_done=self._regrouped, on_error=self._regroup_failed)
        return self.task

    def _regrouped(self, _stats: object) -> None:
        self.task = None
        self.ctx.busy.discard("re-group")
        self.regroup_button.setEnabled(True)
        self.ctx.notify("people")

    def _regroup_failed(self, text: str) -> None:
        self.task = None
        self.ctx.busy.discard("re-group")
        self.regroup_button.setEnabled(True)
        self.ctx.say(f"Re-grouping failed: {text}")

    def _menu(self, pos: QPoint) -> None:
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        p = self.model.person_at(index.row())
        menu = QMenu(self)
        menu.addAction("Open", lambda: self._activated(index))
        menu.addAction("Show again" if p.hidden else "Hide", lambda: self.set_hidden(p.id, not p.hidden))
        menu.popup(self.grid.viewport().mapToGlobal(pos))

    def set_hidden(self, person_id: int, hidden: bool) -> None:
        self.ctx.act(services.set_hidden, person_id, hidden)

    def open_unsorted(self) -> None:
        emit(self.unsorted_opened)

    def open_selected(self) -> None:
        rows = self.grid.selectionModel().selectedIndexes()
        if rows:
            self._activated(rows[0])

    def _activated(self, index: QModelIndex) -> None:
        emit(self.person_opened, self.model.person_at(index.row()).id)
