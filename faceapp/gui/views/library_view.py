"""Library: the photo folders, the scan (progress, pause, cancel) and the photos that failed."""

from __future__ import annotations

import time

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from faceapp.gui.background import scan_job
from faceapp.gui.context import LibraryContext
from faceapp.gui.progress_view import ProgressView
from faceapp.gui.qtcompat import emit
from faceapp.gui.workers import Task, run_task
from faceapp.progress import Progress
from faceapp.storage import photos as photo_store
from faceapp.storage import roots as root_store
from faceapp.storage.faces import face_count


class LibraryView(QWidget):
    scan_finished = Signal(object)  # the scan's stats dict (or None when it failed)

    def __init__(self, ctx: LibraryContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self._summary_at = 0.0
        self.folders = QListWidget()
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove folder")
        self.scan_button = QPushButton("Scan")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.status = QLabel("Ready")
        self.shown = ProgressView(self.progress, self.status)
        self.summary = QLabel()
        self.failed = QTableWidget(0, 3)
        self.failed.setHorizontalHeaderLabels(["Photo", "Reason", "Detail"])
        self.failed.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.failed.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch()
        for b in (self.scan_button, self.pause_button, self.cancel_button):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("<b>Photo folders</b>"))
        lay.addWidget(self.folders, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.summary)
        lay.addWidget(QLabel("<b>Photos that could not be read</b>"))
        lay.addWidget(self.failed, 1)

        self.add_button.clicked.connect(self._choose_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.scan_button.clicked.connect(self.start_scan)
        self.pause_button.toggled.connect(self.set_paused)
        self.cancel_button.clicked.connect(self.cancel_scan)
        ctx.changed.connect(lambda topic: topic == "photos" and self.refresh())
        self._set_running(False)
        self.refresh()

    # -- user actions -------------------------------------------------------------------------
    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a photo folder")
        if path:
            self.add_folder(path)

    def add_folder(self, path: str) -> None:
        root_store.add_root(self.ctx.db, path)
        self.refresh()

    def remove_selected(self) -> None:
        for item in self.folders.selectedItems():
            root_store.remove_root(self.ctx.db, item.text())
        self.refresh()

    def start_scan(self) -> Task | None:
        roots = root_store.list_roots(self.ctx.db)
        if self.task is not None:
            return None
        if not roots:
            self.status.setText("Add a photo folder first.")
            return None
        self._set_running(True)
        self.status.setText("Starting…")
        self.ctx.busy.add("scan")
        self.task = run_task(scan_job(self.ctx.path, roots, self.ctx.settings), name="scan",
                             on_progress=self._on_progress, on_done=self._on_done, on_error=self._on_error)
        return self.task

    def set_paused(self, paused: bool) -> None:
        if self.task:
            self.task.pause(paused)
            self.pause_button.setText("Resume" if paused else "Pause")
            if paused:
                self.status.setText("Paused — " + self.status.text())

    def cancel_scan(self) -> None:
        if self.task:
            self.task.cancel()
            self.status.setText("Stopping after the photos in hand…")

    # -- task callbacks (GUI thread) -----------------------------------------------------------
    def _on_progress(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._summary_at > 2.0:  # the library totals, every couple of seconds (cheap counts)
            self._summary_at = now
            self._refresh_summary()
        self.shown.show(p)

    def _finish(self) -> None:
        self.task = None
        self.ctx.busy.discard("scan")
        self._set_running(False)
        self.refresh()
        self.ctx.notify("people")

    def _on_done(self, stats: dict) -> None:
        if not stats["cancelled"]:  # a stopped scan keeps the bar where it stopped
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        elif self.progress.maximum() == 0:  # stopped while the total was unknown (busy bar): empty, not full
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
        verb = "Stopped" if stats["cancelled"] else "Done"
        self.status.setText(f"{verb}: {stats['processed']} photos scanned, {stats['skipped']} unchanged, "
                            f"{stats['faces']} faces, {sum(stats['errors'].values())} failed "
                            f"in {stats['seconds']:.1f} s"
                            + (f". {stats['xmp_names']} photos carry face names from other tools: "
                               "File → Import face names… makes them yours" if stats.get("xmp_names") else ""))
        self._finish()
        emit(self.scan_finished, stats)

    def _on_error(self, text: str) -> None:
        self.status.setText(f"Scan failed: {text}")
        self._finish()
        emit(self.scan_finished, None)

    def _set_running(self, running: bool) -> None:
        self.scan_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        if not running:
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")

    def refresh(self) -> None:
        self.folders.clear()
        self.folders.addItems(root_store.list_roots(self.ctx.db))
        self._refresh_summary()
        rows = photo_store.failed_photos(self.ctx.db)
        self.failed.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, key in enumerate(("path", "error", "detail")):
                self.failed.setItem(i, j, QTableWidgetItem(str(r[key] or "")))

    def _refresh_summary(self) -> None:
        c = photo_store.counts(self.ctx.db)
        self.summary.setText(f"{c.get('done', 0)} photos scanned · {face_count(self.ctx.db)} faces · "
                             f"{c.get('error', 0)} failed · {c.get('missing', 0)} missing")
