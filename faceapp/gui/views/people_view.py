"""People: a grid of person tiles with search, sort and the hidden people on request. Small unnamed
groups stay out of the way until asked for, and several tiles can be hidden or marked "not a
face" at once; F2 (or a click on a selected tile) names a person in place; several selected
tiles merge into one (M) after a question that shows them all and which name is kept."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QPoint, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import services
from faceapp.gui.background import recluster_job
from faceapp.gui.context import LibraryContext
from faceapp.gui.grid import make_grid
from faceapp.gui.models.people_model import SMALL, PeopleModel, PersonRole
from faceapp.gui.progress_view import ProgressView
from faceapp.gui.qtcompat import emit, variant
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.workers import Task, run_task
from faceapp.types import Person


class NameEditor(QStyledItemDelegate):
    """The in-place name editor (F2) says whom it names while it is empty. A tile under the mouse
    shows two round buttons at its picture's top right, as photo apps do: name (✎) and hide (⊘)."""

    BUTTON = 24

    def __init__(self, view: PeopleView) -> None:
        super().__init__(view.grid)
        self.view = view

    def buttons(self, rect: QRect) -> dict[str, QRect]:
        """Where the hover buttons of a tile in `rect` are: {"name": …, "hide": …}."""
        b, icon = self.BUTTON, self.view.grid.iconSize().width()
        right = rect.center().x() + icon // 2 - 4
        top = rect.top() + 6
        return {"hide": QRect(right - b, top, b, b), "name": QRect(right - 2 * b - 4, top, b, b)}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        if not option.state & QStyle.StateFlag.State_MouseOver:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for what, r in self.buttons(option.rect).items():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 160))
            painter.drawEllipse(r)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(r, Qt.AlignmentFlag.AlignCenter, "✎" if what == "name" else "⊘")
        painter.restore()

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem,  # noqa: N802
                    index: QModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and event.button() == Qt.MouseButton.LeftButton:
            at = event.position().toPoint()
            for what, r in self.buttons(option.rect).items():
                if r.contains(at):
                    p = index.data(PersonRole)
                    if what == "name":  # after this event: an editor opened inside it is closed again
                        keep = QPersistentModelIndex(index)
                        QTimer.singleShot(0, lambda keep=keep: keep.isValid() and self.view.grid.edit(QModelIndex(keep)))
                    elif p is not None:
                        self.view.set_hidden(p.id, not p.hidden)
                    return True
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick) and any(
                r.contains(event.position().toPoint()) for r in self.buttons(option.rect).values()):
            return True  # a press on a button neither selects nor opens the person
        return super().editorEvent(event, model, option, index)

    def createEditor(self, parent: QWidget, option: object, index: object) -> QWidget:  # noqa: N802
        editor = super().createEditor(parent, option, index)
        p = index.data(PersonRole)  # type: ignore[attr-defined]
        if isinstance(editor, QLineEdit) and p is not None:
            editor.setPlaceholderText(f"Name {p.label}")
        return editor


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
        self.sort.addItem("Named first", "named")
        self.sort.addItem("Most photos first", "size")
        self.sort.addItem("By name", "name")
        self.show_hidden = QCheckBox("Show hidden people")
        self.hide_small = QCheckBox("Hide small groups")
        self.hide_small.setChecked(True)
        self.hide_small.setToolTip(f"Unnamed groups of fewer than {SMALL} faces (often a pet, a blur or a stranger "
                                   "in the background) stay out of the grid until you show them")
        self.hide_button = QPushButton("Hide selected (H)")
        self.merge_button = QPushButton("Merge… (M)")
        self.merge_button.setToolTip("Merge the selected people into one (select two or more tiles)")
        self.ask_merge = self._ask_merge  # (selected people) -> the one to keep, or None; tests replace it
        self.not_face_button = QPushButton("Not faces (N)")
        self.not_face_button.setToolTip("Every face of the selected groups is not a face (a pet, a pattern, a blur)")
        self.open_button = QPushButton("Open")
        self.unsorted_button = QPushButton("Unsorted faces")
        self.regroup_button = QPushButton("Re-group people")
        self.regroup_button.setToolTip("Cluster again with the current strictness; every decision you made is kept")
        self.task: Task | None = None
        self.summary = QLabel()
        self.regroup_shown = ProgressView(None, self.summary)  # kept: Qt holds a bound slot only weakly
        self.grid = make_grid(112, caption_lines=2, multi=True)
        self.grid.setModel(self.model)
        self.grid.setItemDelegate(NameEditor(self))
        self.grid.setMouseTracking(True)  # the tile under the mouse shows its buttons
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.SelectedClicked)

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.sort)
        bar.addWidget(self.hide_small)
        bar.addWidget(self.show_hidden)
        bar.addWidget(self.open_button)
        bar.addWidget(self.unsorted_button)
        bar.addWidget(self.regroup_button)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.grid, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.summary, 1)
        foot.addWidget(self.merge_button)
        foot.addWidget(self.hide_button)
        foot.addWidget(self.not_face_button)
        lay.addLayout(foot)

        self.search.textChanged.connect(lambda t: self.model.set_view(query=t))
        self.sort.currentIndexChanged.connect(lambda _: self.model.set_view(sort_by=variant(self.sort.currentData())))
        self.show_hidden.toggled.connect(lambda on: (self.model.set_view(show_hidden=on), self._count()))
        self.hide_small.toggled.connect(lambda on: (self.model.set_view(hide_small=on), self._count()))
        self.model.renamed.connect(lambda pid, name: self.ctx.act(services.rename, pid, name))
        self.hide_button.clicked.connect(self.hide_selected)
        self.not_face_button.clicked.connect(self.not_faces_selected)
        self.merge_button.clicked.connect(self.merge_selected)
        for key, slot in (("H", self.hide_selected), ("N", self.not_faces_selected), ("M", self.merge_selected)):
            QShortcut(QKeySequence(key), self.grid, activated=slot, context=Qt.ShortcutContext.WidgetShortcut)
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

    def _apply(self, result: tuple[list[Person], int]) -> None:
        people, unsorted = result
        self.people = people
        self.model.set_people(people)
        self.unsorted_button.setText(f"Unsorted faces ({unsorted})")
        self.unsorted_button.setEnabled(unsorted > 0)
        self._count()

    def _count(self) -> None:
        people = getattr(self, "people", [])
        shown = [p for p in people if not p.hidden]
        named = sum(1 for p in shown if p.name)
        small = self.model.set_aside()
        text = f"{len(shown) - small} people · {named} named · {len(people) - len(shown)} hidden"  # as the grid shows
        self.summary.setText(text + (f" · {small} small groups not shown" if small else ""))

    def selected_people(self) -> list[Person]:
        return [self.model.person_at(i.row()) for i in sorted(self.grid.selectionModel().selectedIndexes(), key=lambda i: i.row())]

    def hide_selected(self) -> None:
        if ids := [p.id for p in self.selected_people() if not p.hidden]:
            self.ctx.act(services.hide_people, ids)

    def not_faces_selected(self) -> None:
        if ids := [p.id for p in self.selected_people()]:
            self.ctx.act(services.people_not_faces, ids)

    def merge_selected(self) -> None:
        """The selected people become one, in one undo step, after a question that shows them all."""
        chosen = self.selected_people()
        if len(chosen) < 2:
            self.ctx.say("Select two or more people to merge (Ctrl+click or Shift+click the tiles)")
            return
        keep = self.ask_merge(chosen)
        if keep is not None:
            self.ctx.act(services.merge_many, keep.id, [p.id for p in chosen if p.id != keep.id])

    def _ask_merge(self, chosen: list[Person]) -> Person | None:
        from faceapp.gui.views.merge_question import ask_merge_many

        return ask_merge_many(self, self.model.thumbs, chosen)

    def regroup(self) -> Task | None:
        if self.task is not None or "scan" in self.ctx.busy:
            return None
        self.regroup_button.setEnabled(False)
        self.summary.setText("Re-grouping people…")
        self.ctx.busy.add("re-group")  # it writes to the library: no switch or import meanwhile
        self.task = run_task(recluster_job(self.ctx.path, self.ctx.settings.strictness), name="recluster",
                             on_progress=self.regroup_shown.show,
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
        menu.addAction("Name… (F2)", lambda: self.grid.edit(index))
        if len(self.selected_people()) > 1:
            menu.addAction("Merge the selected… (M)", self.merge_selected)
            menu.addAction("Hide the selected (H)", self.hide_selected)
            menu.addAction("The selected are not faces (N)", self.not_faces_selected)
        else:
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
