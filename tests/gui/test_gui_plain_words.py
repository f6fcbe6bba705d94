"""The training page in plain words (issue 11): how it learns, rounds of practice, where it runs;
the exact terms (loss, epochs, device, the metrics' names) stay in tooltips and small print."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QLabel

from faceapp.gui import services
from faceapp.gui.views.improve_view import _report_text


def test_the_training_page_speaks_plainly_and_keeps_the_exact_terms_in_tooltips(qtbot, window, monkeypatch, settle):
    from faceapp.gui import background

    view = window.show_view("Improve recognition")
    settle(window)
    labels = {w.text(): w.toolTip() for w in view.findChildren(QLabel) if w.isVisible()}
    shown = " ".join(labels)
    for jargon in ("Loss", "Epochs", "Device", "cuda", "cpu"):
        assert jargon not in shown, jargon
    assert "Loss function" in labels["How it learns"] and labels["Rounds of practice"] == "Epochs"
    assert labels["Run on"] == "Device"
    assert "stays on this computer" in view.intro.text()

    assert view.loss.currentText() == "Self-tuning (recommended)" and view.loss.currentData() == "adacos"
    view.loss.setCurrentIndex(view.loss.findData("triplet"))
    assert "threes" in view.loss_help.text() and view.loss_help.toolTip() == services.LOSS_HELP["triplet"]
    assert "triplet" in view.loss.itemData(view.loss.currentIndex(), 3)  # ToolTipRole: the exact name

    view.device.setCurrentText("cpu")  # the settings' word still chooses the entry
    assert view.device.currentText() == "This computer's processor (slower)" and view.device.code() == "cpu"
    asked = []

    def no_training(_task):
        raise RuntimeError("not trained in this test")

    monkeypatch.setattr(background, "train_job", lambda *args: asked.append(args) or no_training)
    view.epochs.setValue(3)
    view.start_training()
    assert asked and asked[0][2:5] == ("triplet", 3, "cpu")  # the trainer still gets the exact terms
    qtbot.waitUntil(lambda: view.task is None, timeout=10_000)
    if os.environ.get("FACEAPP_SHOTS"):
        window.grab().save(os.path.join(os.environ["FACEAPP_SHOTS"], "improve_plain.png"))


def test_the_report_names_each_figure_plainly_with_its_exact_name_beside():
    text = _report_text({"BCubed F": 0.9, "TAR @ FAR 1e-3": 0.8}, {"BCubed F": 0.95, "TAR @ FAR 1e-3": 0.85})
    assert "Groups each person's faces together" in text and "BCubed F</span>" in text
    assert "1 stranger in 1,000" in text and "higher is better" in text
