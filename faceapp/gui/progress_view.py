"""The one way a view shows a long job: a `Progress` on a progress bar and a status label."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar

from faceapp.gui.progress_text import ProgressLine
from faceapp.progress import Progress


class ProgressView:
    """Shows each Progress a job reports: the bar counts done of total (busy while the total is not
    known), the label says the stage in words with the job's text, rate and time left."""

    def __init__(self, bar: QProgressBar | None, label: QLabel | None) -> None:
        self.bar, self.label = bar, label
        self.line = ProgressLine()

    def show(self, p: Progress) -> None:
        if self.bar is not None:
            if p.total > 0:
                self.bar.setRange(0, p.total)
                self.bar.setValue(min(p.done, p.total))
            else:
                self.bar.setRange(0, 0)  # a busy bar
        if self.label is not None:
            self.label.setText(self.line(p))
