"""Settings that matter: where the library lives, how faces are found, how strictly they group."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from faceapp.gui.settings import AppSettings, save_settings


class SettingsDialog(QDialog):
    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.settings = settings
        self.db_path = QLineEdit(settings.db_path, placeholderText=str(settings.library_path()))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.db_path, 1)
        row.addWidget(browse)
        self.det_size = QSpinBox(minimum=160, maximum=4096, singleStep=160, value=settings.det_size)
        self.det_threshold = QDoubleSpinBox(minimum=0.1, maximum=0.99, singleStep=0.05, value=settings.det_threshold)
        self.strictness = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.1, value=settings.strictness)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.device.setCurrentText(settings.device)
        form = QFormLayout(self)
        form.addRow("Library database", row)
        form.addRow("", QLabel("<small>Saving a new location opens that library (a new file starts an empty one).</small>"))
        form.addRow("Detector size (long side, px)", self.det_size)
        form.addRow("Detector threshold", self.det_threshold)
        form.addRow("Clustering strictness (0 lenient – 1 strict)", self.strictness)
        form.addRow("Device", self.device)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Library database", self.db_path.text(), "SQLite (*.db)")
        if path:
            self.db_path.setText(path)

    def values(self) -> AppSettings:
        return replace(self.settings, db_path=self.db_path.text().strip(), det_size=self.det_size.value(),
                       det_threshold=self.det_threshold.value(), strictness=self.strictness.value(),
                       device=self.device.currentText())

    def accept(self) -> None:
        for k, v in vars(self.values()).items():
            setattr(self.settings, k, v)  # the open library stays open; the others apply to the next job
        save_settings(self.settings)
        super().accept()
