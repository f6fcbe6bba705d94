"""Improve recognition → "Add an insightface model…": the licence terms first (nothing is added when
they are not accepted), then the pack's model appears in the models list, measured on an album folder."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from faceapp.gui import services
from faceapp.gui.views import improve_view

pytest.importorskip("onnx")
import insightface_tiny as tiny  # noqa: E402  (tests/ is on sys.path: it holds conftest.py)


def _answer_licence(accept: bool) -> None:
    box = QApplication.activeModalWidget()
    assert isinstance(box, QMessageBox) and "non-commercial" in box.text() + box.informativeText()
    wanted = QMessageBox.ButtonRole.AcceptRole if accept else QMessageBox.ButtonRole.RejectRole
    next(b for b in box.buttons() if box.buttonRole(b) == wanted).click()


@pytest.mark.parametrize("accept", [False, True])
def test_licence_dialog_asks_and_answers(qtbot, accept):
    QTimer.singleShot(200, lambda: _answer_licence(accept))
    assert improve_view.ask_licence(None) is accept


def _album(root, people: int = 3, each: int = 3):
    import cv2

    rng = np.random.default_rng(7)
    for p in range(people):
        base = rng.integers(0, 256, (112, 112, 3))
        (root / f"p{p}").mkdir(parents=True)
        for i in range(each):
            cv2.imwrite(str(root / f"p{p}" / f"{i}.png"), np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8))
    return root


def test_add_an_insightface_pack(qtbot, window, tmp_path, monkeypatch):
    pack = tiny.make_pack(tmp_path / "buffalo_t")
    view = window.show_view("Improve recognition")
    assert view.pack_button.isVisible() and view.pack_button.isEnabled()
    before = view.models.count()

    monkeypatch.setattr(improve_view, "ask_licence", lambda parent: False)
    assert view.import_insightface(str(pack), "") is None
    assert "not accepted" in view.status.text() and len(services.models(window.ctx.db)) == before

    monkeypatch.setattr(improve_view, "ask_licence", lambda parent: True)
    with qtbot.waitSignal(view.job_finished, timeout=30_000) as sig:
        view.import_insightface(str(pack), str(_album(tmp_path / "album")))
    kind, result = sig.args
    assert kind == "import" and result["calibrated"] and result["model_id"] == "insightface-buffalo_t-w600k_r50"
    qtbot.waitUntil(lambda: view.models.count() == before + 1, timeout=5000)
    assert view.models.findData(result["model"]) >= 0
    assert "non-commercial" in view.status.text() and "Measured on 3 people" in view.status.text()
    active = next(m for m in services.models(window.ctx.db) if m["active"])
    assert active["model_id"] == "sface-2021dec"  # added, not switched to


def test_an_unmeasured_pack_model_is_not_made_active(qtbot, window, tmp_path, monkeypatch):
    pack = tiny.make_pack(tmp_path / "buffalo_t", with_detector=False, with_heads=False)
    view = window.show_view("Improve recognition")
    monkeypatch.setattr(improve_view, "ask_licence", lambda parent: True)
    with qtbot.waitSignal(view.job_finished, timeout=30_000) as sig:
        view.import_insightface(str(pack), "")  # no album folder: not measured
    assert not sig.args[1]["calibrated"] and "must be measured" in view.status.text()
    qtbot.waitUntil(lambda: view.models.findData(sig.args[1]["model"]) >= 0, timeout=5000)
    view.models.setCurrentIndex(view.models.findData(sig.args[1]["model"]))
    with qtbot.waitSignal(view.job_finished, timeout=30_000):
        view.restore_model()
    assert "has not been measured yet" in view.status.text()
    assert next(m for m in services.models(window.ctx.db) if m["active"])["model_id"] == "sface-2021dec"
