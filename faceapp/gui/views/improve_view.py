"""Improve recognition: fine-tune the model on the people you named (or an album folder per
person), look at the before/after report, then accept it (re-embed + re-cluster in the
background, every decision kept) or go back to an earlier model.

The page speaks plainly (how it learns, rounds of practice, run on) and keeps the exact terms
(loss, epochs, device, the metrics' names) in tooltips and small print, for those who know them."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from faceapp import paths
from faceapp.gui import background, services
from faceapp.gui.background import db_job
from faceapp.gui.context import LibraryContext
from faceapp.gui.progress_view import ProgressView
from faceapp.gui.qtcompat import emit, variant
from faceapp.gui.thumbs import FaceThumbnails
from faceapp.gui.workers import Task, run_task
from faceapp.loss_catalogue import CATALOGUE
from faceapp.types import Person

INTRO = ("<b>Teach faceapp your family's faces.</b> It practises on the people you have named and learns to "
         "tell them apart better. Everything stays on this computer. A fifth of the faces are kept aside to "
         "test it: you see how well the current and the new version do, and choose whether to use the new one.")

# What each loss is, in plain words: (the name in the list, what it means for you). The exact
# description (services.LOSS_HELP) is the tooltip.
LOSS_WORDS: dict[str, tuple[str, str]] = {loss.name: (loss.title, loss.plain) for loss in CATALOGUE}

DEVICES = [  # (the settings' word, the plain words, the exact term)
    ("auto", "Automatic: the graphics card if there is one", "device auto: CUDA when a GPU is available, else CPU"),
    ("cpu", "This computer's processor (slower)", "device cpu"),
    ("cuda", "The graphics card (NVIDIA)", "device cuda: an NVIDIA GPU through CUDA"),
]

# The report's figures (services.training._figures) in plain words; the exact names in grey.
METRIC_WORDS = {
    "TAR @ FAR 1e-3": "Finds the right person, while letting through 1 stranger in 1,000",
    "10-fold accuracy": "Tells “same person” from “different people” right",
    "BCubed F": "Groups each person's faces together, and only theirs",
    "NMI": "Groups agree with your names (another measure)",
}


def _report_text(before: dict, after: dict) -> str:
    keys = [k for k in after if isinstance(after.get(k), int | float)]
    rows = "".join(f"<tr><td>{METRIC_WORDS.get(k, k)}<br><span style='color:#888'>{k}</span></td>"
                   f"<td align=right>{before.get(k, float('nan')):.4g}</td>"
                   f"<td align=right><b>{after[k]:.4g}</b></td></tr>" for k in keys)
    return (f"<table cellspacing=6><tr><th>On the faces kept aside (higher is better)</th><th>now</th><th>new</th></tr>"
            f"{rows}</table>")


def licence_box(parent: QWidget | None) -> QMessageBox:
    """The insightface packs' licence terms, with Accept / Cancel (Cancel is the default)."""
    from faceapp.jobs.insightface_pack import LICENCE_TERMS

    box = QMessageBox(QMessageBox.Icon.Warning, "insightface model pack: licence terms",
                      "<b>These models are for non-commercial research use only.</b>", parent=parent)
    box.setInformativeText(LICENCE_TERMS)
    box.addButton("I accept", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(box.addButton(QMessageBox.StandardButton.Cancel))
    return box


def ask_licence(parent: QWidget | None) -> bool:
    box = licence_box(parent)
    box.exec()
    return box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.AcceptRole


class DeviceChoice(QComboBox):
    """Where to train, in plain words; the data is the settings' word ("auto", "cpu", "cuda"), which
    setCurrentText also accepts."""

    def __init__(self) -> None:
        super().__init__()
        for code, words, exact in DEVICES:
            self.addItem(words, code)
            self.setItemData(self.count() - 1, exact, Qt.ItemDataRole.ToolTipRole)

    def setCurrentText(self, text: str) -> None:  # noqa: N802
        i = self.findData(text)
        if i >= 0:
            self.setCurrentIndex(i)
        else:
            super().setCurrentText(text)

    def code(self) -> str:
        return str(variant(self.currentData()) or "auto")


class ImproveView(QWidget):
    job_finished = Signal(str, object)  # ("train" | "accept" | "restore", result or None)

    def __init__(self, ctx: LibraryContext, thumbs: FaceThumbnails | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.task: Task | None = None
        self._ready: int | None = None  # named people with five or more faces (None: not counted yet)
        self.report: services.TrainReport | None = None
        self.intro = QLabel(INTRO)
        self.intro.setWordWrap(True)
        self.loss = QComboBox()
        for name, help_text in services.LOSS_HELP.items():
            self.loss.addItem(LOSS_WORDS.get(name, (name, ""))[0], name)
            self.loss.setItemData(self.loss.count() - 1, f"Loss function “{name}”: {help_text}", Qt.ItemDataRole.ToolTipRole)
        self.loss_help = QLabel()
        self.loss_help.setWordWrap(True)
        self.source = QComboBox()
        self.source.addItem("People named in this library", "library")
        self.source.addItem("An album folder (one sub-folder per person)…", "folder")
        self.epochs = QSpinBox(minimum=1, maximum=200, value=6)  # trainer.config.TrainConfig.epochs; early stopping may end sooner
        self.epochs.setToolTip("Epochs: full passes over the training faces. Early stopping ends training sooner "
                               "when the score on the faces kept aside stops improving.")
        self.epochs_help = QLabel("How many times it goes through all the named faces. More rounds take longer; "
                                  "it stops by itself when more practice no longer helps.")
        self.epochs_help.setWordWrap(True)
        self.device = DeviceChoice()
        self.device.setToolTip("Device: where PyTorch runs the training (auto, cpu or cuda)")
        self.device.setCurrentText(ctx.settings.device)
        self.gpu = QLabel("Looking for a GPU…")
        self.data_info = QLabel()
        self.loader = ctx.loader("improve")
        self.train_button = QPushButton("Train")
        self.cancel_button = QPushButton("Cancel")
        self.progress = QProgressBar()
        self.status = QLabel()
        self.shown = ProgressView(self.progress, self.status)
        self.status.setWordWrap(True)
        self.metrics = QLabel()
        self.roc = QLabel()
        self.roc.setMinimumWidth(300)
        self.accept_button = QPushButton("Use the new model")
        self.models = QComboBox()
        self.restore_button = QPushButton("Make this model active")
        self.pack_button = QPushButton("Add an insightface model…")
        self.pack_button.setToolTip("Register the face-recognition model of an insightface model pack already on "
                                    "this computer (e.g. ~/.insightface/models/buffalo_l). Those models are for "
                                    "non-commercial research use only; faceapp never downloads them.")

        form = QFormLayout()
        rows = (("How it learns", self.loss, "Loss function: what the training tries to make small"),
                ("", self.loss_help, None), ("Learn from", self.source, None), ("", self.data_info, None),
                ("Rounds of practice", self.epochs, "Epochs"), ("", self.epochs_help, None),
                ("Run on", self.device, "Device"), ("", self.gpu, None))
        for text, widget, exact in rows:
            label = QLabel(text)
            if exact:
                label.setToolTip(exact)
            form.addRow(label, widget)
        run = QHBoxLayout()
        run.addWidget(self.train_button)
        run.addWidget(self.cancel_button)
        run.addWidget(self.progress, 1)
        report = QHBoxLayout()
        report.addWidget(self.metrics)
        report.addWidget(self.roc, 1)
        models = QHBoxLayout()
        models.addWidget(QLabel("Models:"))
        models.addWidget(self.models, 1)
        models.addWidget(self.restore_button)
        models.addWidget(self.pack_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.intro)
        lay.addLayout(form)
        lay.addLayout(run)
        lay.addWidget(self.status)
        lay.addLayout(report, 1)
        lay.addWidget(self.accept_button)
        lay.addLayout(models)

        self.loss.currentIndexChanged.connect(lambda _: self._explain_loss())
        self.loss.setCurrentIndex(0)
        self._explain_loss()
        self.train_button.clicked.connect(lambda: self.start_training())
        self.source.currentIndexChanged.connect(lambda _: self._can_train())
        self.cancel_button.clicked.connect(lambda: self.task and self.task.cancel())
        self.accept_button.clicked.connect(self.accept_model)
        self.restore_button.clicked.connect(self.restore_model)
        self.pack_button.clicked.connect(lambda: self.import_insightface())
        self._busy(False)
        self.accept_button.setEnabled(False)
        self._gpu_task = run_task(lambda _t: services.gpu_info(), name="gpu", on_done=self.gpu.setText)
        ctx.changed.connect(self._changed)
        self.refresh_models()
        self.refresh_data_info()

    def _explain_loss(self) -> None:
        """Plain words under the choice; the exact description in its tooltip."""
        name = str(variant(self.loss.currentData()))
        self.loss_help.setText(LOSS_WORDS.get(name, ("", services.LOSS_HELP[name]))[1])
        self.loss_help.setToolTip(services.LOSS_HELP[name])

    def _changed(self, topic: str) -> None:
        if topic == "models":
            self.refresh_models()
        if topic == "people":
            self.refresh_data_info()

    def refresh_data_info(self) -> None:
        self.loader.load(lambda db: services.list_people(db, include_hidden=False), self._show_data_info)

    def _show_data_info(self, people: list[Person]) -> None:
        named = [p for p in people if p.name]
        ready = [p for p in named if p.faces >= 5]
        faces = sum(p.faces for p in ready)
        who = "person" if len(named) == 1 else "people"
        self.data_info.setText(f"{len(named)} named {who}; {len(ready)} with five or more faces ({faces} faces) "
                               "can teach the model — at least two are needed")
        self._ready = len(ready)
        self._can_train()

    def _can_train(self) -> None:
        """Train is offered when there is something to learn from: an album folder (checked when chosen),
        or at least two named people with five or more faces each; the reason is its tooltip."""
        from_library = variant(self.source.currentData()) == "library"
        short = from_library and self._ready is not None and self._ready < 2
        self.train_button.setEnabled(self.task is None and not short)
        self.train_button.setToolTip("Name at least two people, each with five or more faces, to train on them "
                                     "(or learn from an album folder)" if short else "")

    def refresh_models(self) -> None:
        self.models.clear()
        for m in services.models(self.ctx.db):
            self.models.addItem(f"{m['model_id']}{'  (active)' if m['active'] else ''} — {m['created_at'] or ''}", m["id"])

    def _busy(self, busy: bool) -> None:
        for b in (self.train_button, self.restore_button, self.pack_button):
            b.setEnabled(not busy)
        if not busy:
            self._can_train()
        self.cancel_button.setEnabled(busy)
        if busy:
            self.accept_button.setEnabled(False)

    def _start(self, kind: str, job, text: str) -> Task:  # noqa: ANN001
        self._busy(True)
        self.status.setText(text)
        self.progress.setRange(0, 0)
        self.ctx.busy.add(kind)
        self.task = run_task(job, name=kind, on_progress=self.shown.show,
                             on_done=lambda r: self._done(kind, r), on_error=lambda e: self._failed(kind, e))
        return self.task

    def start_training(self, album_dir: str | None = None) -> Task | None:
        """Train on the library's named people, or on an album folder (asked for unless given)."""
        source = variant(self.source.currentData())
        if source == "folder":
            source = album_dir or QFileDialog.getExistingDirectory(self, "Album folder: one sub-folder per person")
            if not source:
                return None
        out = tempfile.mkdtemp(prefix="train-", dir=paths.data_dir())
        job = background.train_job(self.ctx.path, source, variant(self.loss.currentData()), self.epochs.value(),
                                   self.device.code(), out)
        return self._start("train", job, f"Practising on your people ({self.loss.currentText().lower()})…")

    def accept_model(self) -> Task | None:
        if self.report is None:
            return None
        job = db_job(self.ctx.path, services.accept_model, self.report.model_path, self.ctx.settings.device,
                     self.ctx.settings.strictness)
        return self._start("accept", job, "Re-embedding every face with the new model, then re-grouping people…")

    def restore_model(self) -> Task | None:
        row = variant(self.models.currentData())
        if row is None:
            return None
        job = db_job(self.ctx.path, services.activate_model, row, self.ctx.settings.device, self.ctx.settings.strictness)
        return self._start("restore", job, "Switching model, then re-grouping people…")

    def import_insightface(self, folder: str | None = None, calibrate_dir: str | None = None) -> Task | None:
        """An insightface pack's recognition model into the library: its folder, its licence terms
        (nothing is written unless accepted), then an optional album folder to measure it on."""
        start = Path("~/.insightface/models").expanduser()
        folder = folder or QFileDialog.getExistingDirectory(
            self, "insightface model pack: a folder of .onnx files", str(start if start.is_dir() else Path.home()))
        if not folder:
            return None
        if not ask_licence(self):
            self.status.setText("Nothing added: the model pack's licence terms were not accepted.")
            return None
        if calibrate_dir is None:
            calibrate_dir = QFileDialog.getExistingDirectory(
                self, "Photos to measure the model on: an album folder, one sub-folder per person (Cancel: later)")
        job = db_job(self.ctx.path, services.import_insightface, folder, True, calibrate_dir or "")
        return self._start("import", job, "Adding the insightface model…")

    def _done(self, kind: str, result: object) -> None:
        self.task = None
        self.ctx.busy.discard(kind)
        self._busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        if kind == "train":
            self.show_report(result)
        elif kind == "import":
            self.status.setText(str(result["message"]))
            self.ctx.notify("models")
        else:
            cancelled = isinstance(result, dict) and result.get("cancelled")
            self.status.setText("Stopped; the previous model is still active." if cancelled else "Done: model active, people re-grouped.")
            self.ctx.notify("models")
            self.ctx.notify("people")
        emit(self.job_finished, kind, result)

    def show_report(self, report: services.TrainReport) -> None:
        self.report = report
        self.metrics.setText(_report_text(report.before, report.after))
        if report.roc_png and Path(report.roc_png).exists():
            image = QImage(report.roc_png).scaledToWidth(640, Qt.TransformationMode.SmoothTransformation)
            self.roc.setPixmap(QPixmap.fromImage(image))
        extra = ""
        if report.report_json and Path(report.report_json).exists():
            extra = f" Full report: {report.report_json}"
            json.loads(Path(report.report_json).read_text())  # a broken report should fail loudly here
        if report.kept_base:  # nothing to switch to: the "new" model is the current one
            self.status.setText(f"{report.message or 'No improvement found; your model is unchanged.'} "
                                "Nothing new to switch to: name more people (each with more faces) "
                                f"and train again.{extra}")
            self.accept_button.setEnabled(False)
            return
        self.status.setText(f"Trained: {Path(report.model_path).name}. {report.message}{extra}")
        self.accept_button.setEnabled(True)

    def _failed(self, kind: str, text: str) -> None:
        self.task = None
        self.ctx.busy.discard(kind)
        self._busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText(f"{kind.capitalize()} failed: {text}")
        emit(self.job_finished, kind, None)
