"""Export: person albums (copied or linked), XMP face regions, CSV/JSON — in the background."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui import services
from faceapp.gui.background import db_job
from faceapp.gui.context import LibraryContext
from faceapp.gui.progress_view import ProgressView
from faceapp.gui.qtcompat import emit, variant
from faceapp.gui.services.export import summary as export_summary
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.workers import Task, run_task
from faceapp.types import Person

# (text, what, mode, needs a folder)
FORMATS = [
    ("Person albums — copy the photos", "albums", "copy", True),
    ("Person albums — hard links (no extra space, same disk)", "albums", "hardlink", True),
    ("Person albums — symbolic links", "albums", "symlink", True),
    ("XMP face regions — sidecars beside the photos", "xmp", "", False),
    ("XMP face regions — sidecars into the folder", "xmp", "", True),
    ("CSV table (faces.csv)", "csv", "", True),
    ("JSON (faces.json)", "json", "", True),
]


class ExportView(QWidget):
    task_finished = Signal(object)  # the export's summary, or None when it failed

    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self.result: dict | None = None
        self.loader = ctx.loader("export")
        self.people = QListWidget()
        self.format = QComboBox()
        for text, what, mode, needs_dir in FORMATS:
            self.format.addItem(text, (what, mode, needs_dir))
        self.out_dir = QLineEdit(placeholderText="Folder to export into")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        self.export_button = QPushButton("Export")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.status = QLabel()
        self.shown = ProgressView(self.progress, self.status)
        row = QHBoxLayout()
        row.addWidget(self.out_dir, 1)
        row.addWidget(browse)
        self.unnamed = QCheckBox("XMP: regions for unnamed people too, as \u201cPerson N\u201d")
        self.unnamed.setToolTip("Other photo tools show a region's name as a person; by default only named people get one")
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Into", row)
        form.addRow("", self.unnamed)
        buttons = QHBoxLayout()
        buttons.addStretch()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        lay = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>People to export</b> (named people are ticked)"), 1)
        for text, on in (("All", True), ("None", False)):
            b = QPushButton(text)
            b.clicked.connect(lambda _=False, on=on: self.check_all(on))
            head.addWidget(b)
        lay.addLayout(head)
        lay.addWidget(self.people, 1)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(lambda: self.task and self.task.cancel())
        self.cancel_button.setEnabled(False)
        ctx.changed.connect(lambda topic: topic == "people" and self.refresh())
        self.refresh()

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export into")
        if path:
            self.out_dir.setText(path)

    def refresh(self) -> None:
        self.loader.load(lambda db: services.list_people(db, include_hidden=False), self._apply)

    def _apply(self, people: list[Person]) -> None:
        self.people.clear()
        for p in people:
            item = QListWidgetItem(f"{p.label} — {p.photos} photos")
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            item.setCheckState(Qt.CheckState.Checked if p.name else Qt.CheckState.Unchecked)
            self.people.addItem(item)

    def check_all(self, on: bool) -> None:
        state = Qt.CheckState.Checked if on else Qt.CheckState.Unchecked
        for i in range(self.people.count()):
            self.people.item(i).setCheckState(state)

    def set_checked(self, person_ids: list[int]) -> None:
        for i in range(self.people.count()):
            item = self.people.item(i)
            on = variant(item.data(Qt.ItemDataRole.UserRole)) in person_ids
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def checked_ids(self) -> list[int]:
        return [variant(self.people.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(self.people.count())
                if self.people.item(i).checkState() == Qt.CheckState.Checked]

    def start_export(self) -> Task | None:
        out, ids = self.out_dir.text().strip(), self.checked_ids()
        what, mode, needs_dir = variant(self.format.currentData())
        if self.task:
            return None
        if (needs_dir and not out) or not ids:
            self.status.setText("Choose a folder and at least one person.")
            return None
        out = out if needs_dir else None
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)
        self.status.setText("Exporting…")
        self.ctx.busy.add("export")
        self.task = run_task(db_job(self.ctx.path, services.export, out, what, ids, mode or "copy",
                                    include_unnamed=self.unnamed.isChecked()), name="export",
                             on_progress=self.shown.show, on_done=self._done, on_error=self._failed)
        return self.task

    def _finish(self) -> None:
        self.task = None
        self.ctx.busy.discard("export")
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)

    def _done(self, result: dict) -> None:
        self.result = result
        self._finish()
        self.status.setText(export_summary(result))
        emit(self.task_finished, result)

    def _failed(self, text: str) -> None:
        self._finish()
        self.status.setText(f"Export failed: {text}")
        emit(self.task_finished, None)
