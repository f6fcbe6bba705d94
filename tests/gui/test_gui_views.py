"""Verify, Improve recognition, Library controls, settings and the screenshot command."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from stand_in_model import stand_in  # tests/ is on sys.path: it holds conftest.py

from faceapp import paths
from faceapp.gui import services


def test_verify_two_library_faces(qtbot, window, settle):
    view = window.show_view("Verify")
    settle(window)
    assert view.models[0].total() >= 2  # the first person's faces (see test_gui_verify_pick)
    view.select_face(0, 0)
    view.select_face(1, 1)
    with qtbot.waitSignal(view.verdict_shown, timeout=5000) as sig:
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    v = sig.args[0]
    assert v is not None and -1.0 <= v.score <= 1.0 and v.same == (v.score >= v.threshold)
    assert f"{v.score:.3f}" in view.result.text() and f"{v.threshold:.3f}" in view.result.text()


def test_verify_two_photo_files_in_a_worker(qtbot, window, settle):
    view = window.show_view("Verify")
    settle(window)
    clooney = sorted(paths.SAMPLE_ALBUM.glob("George_Clooney_*.jpg"))
    view.set_photo(0, str(clooney[0]))
    view.set_photo(1, str(clooney[1]))
    with qtbot.waitSignal(view.verdict_shown, timeout=30_000) as sig:
        view.compare()
    assert sig.args[0] is not None and sig.args[0].same


def _fake_train(tmp_path):
    """Stands in for the trainer: a 'new' model that is the bundled one under another id."""

    def train(db, source, loss, epochs, device, out_dir, progress=None, stop=None):

        from faceapp.progress import Progress

        out = stand_in(tmp_path / "new.onnx", "sface-finetuned-test")
        for i in range(epochs):
            if stop and stop():
                break
            if progress:
                progress(Progress("training", i + 1, epochs, f"epoch {i + 1}"))
        from PySide6.QtGui import QColor, QImage

        img = QImage(64, 64, QImage.Format.Format_RGB888)
        img.fill(QColor("white"))
        img.save(str(tmp_path / "roc.png"))
        (tmp_path / "report.json").write_text(json.dumps({"loss": loss}))
        return services.TrainReport(str(out), str(tmp_path / "report.json"), str(tmp_path / "roc.png"),
                                    {"tar@far1e-3": 0.80}, {"tar@far1e-3": 0.85})

    return train


def _name_two(window) -> list:  # noqa: ANN001
    """Names the two largest people of the window's library (what Train needs to be offered)."""
    big = sorted(services.list_people(window.ctx.db), key=lambda p: -p.faces)[:2]
    assert all(p.faces >= 5 for p in big)
    for p, name in zip(big, ("Ann", "Ben"), strict=True):
        window.ctx.act(services.rename, p.id, name)
    return big


def test_train_is_offered_only_with_two_named_people_to_learn_from(qtbot, window, settle):
    """With nobody named, Train was enabled and a click started a training that could only fail; it is
    now offered when two named people have five or more faces each, or for an album folder."""
    view = window.show_view("Improve recognition")
    settle(window)
    assert not any(p.name for p in services.list_people(window.ctx.db))
    assert not view.train_button.isEnabled() and "Name at least two people" in view.train_button.toolTip()
    view.source.setCurrentIndex(view.source.findData("folder"))
    assert view.train_button.isEnabled()  # an album folder brings its own people
    view.source.setCurrentIndex(view.source.findData("library"))
    assert not view.train_button.isEnabled()
    big = _name_two(window)
    qtbot.waitUntil(view.train_button.isEnabled, timeout=5000)  # the page hears of the names
    assert view.train_button.toolTip() == "" and "2 named people; 2 with five or more faces" in view.data_info.text()
    window.ctx.act(services.rename, big[1].id, "")
    qtbot.waitUntil(lambda: not view.train_button.isEnabled(), timeout=5000)


def test_improve_train_accept_and_restore(qtbot, window, grouped_sample, tmp_path, monkeypatch, settle):
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        return
    from faceapp.gui import background

    fake = _fake_train(tmp_path)
    monkeypatch.setattr(background, "train_job", lambda db_path, *args: background.db_job(db_path, fake, *args))
    _name_two(window)
    view = window.show_view("Improve recognition")
    settle(window)
    assert view.loss.count() == len(services.LOSS_HELP) and view.loss_help.text()
    view.loss.setCurrentIndex(view.loss.findData("cosface"))
    assert view.loss_help.toolTip() == services.LOSS_HELP["cosface"]  # plain words shown, exact terms in the tooltip
    view.epochs.setValue(2)
    with qtbot.waitSignal(view.job_finished, timeout=30_000) as sig:
        qtbot.mouseClick(view.train_button, Qt.MouseButton.LeftButton)
    assert sig.args[0] == "train" and sig.args[1] is not None
    assert view.accept_button.isEnabled() and "0.85" in view.metrics.text() and view.roc.pixmap() is not None

    before = services.models(window.ctx.db)
    with sqlite3.connect(grouped_sample) as conn:
        decided = conn.execute("SELECT count(*) FROM face_assignments WHERE source != 'cluster'").fetchone()[0]
    with qtbot.waitSignal(view.job_finished, timeout=120_000) as sig:
        qtbot.mouseClick(view.accept_button, Qt.MouseButton.LeftButton)
    assert sig.args[0] == "accept" and sig.args[1] and not sig.args[1].get("cancelled")
    models = services.models(window.ctx.db)
    active = next(m for m in models if m["active"])
    assert active["model_id"] == "sface-finetuned-test" and len(models) == len(before) + 1
    with sqlite3.connect(grouped_sample) as conn:
        n = conn.execute("SELECT count(*) FROM embeddings WHERE model = ?", [active["id"]]).fetchone()[0]
        assert n == conn.execute("SELECT count(*) FROM faces").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM face_assignments WHERE source != 'cluster'").fetchone()[0] == decided

    old = next(m for m in models if not m["active"])
    view.models.setCurrentIndex(view.models.findData(old["id"]))
    with qtbot.waitSignal(view.job_finished, timeout=60_000):
        qtbot.mouseClick(view.restore_button, Qt.MouseButton.LeftButton)
    assert next(m for m in services.models(window.ctx.db) if m["active"])["id"] == old["id"]


def test_library_cancel_and_failed_photos(qtbot, make_window, tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    for p in sorted(paths.SAMPLE_ALBUM.glob("*.jpg"))[:12]:
        shutil.copy(p, album / p.name)
    (album / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    win = make_window(tmp_path / "lib.db")
    lib = win.library
    lib.add_folder(str(album))
    task = lib.start_scan()
    assert task is not None and lib.cancel_button.isEnabled() and not lib.scan_button.isEnabled()
    qtbot.mouseClick(lib.pause_button, Qt.MouseButton.LeftButton)
    assert lib.pause_button.text() == "Resume" and task.token.paused
    with qtbot.waitSignal(lib.scan_finished, timeout=60_000) as sig:
        qtbot.mouseClick(lib.cancel_button, Qt.MouseButton.LeftButton)
    assert sig.args[0]["cancelled"] and "Stopped" in lib.status.text()
    with qtbot.waitSignal(lib.scan_finished, timeout=60_000) as sig:  # scan again: resumes, then finishes
        qtbot.mouseClick(lib.scan_button, Qt.MouseButton.LeftButton)
    assert not sig.args[0]["cancelled"]
    assert lib.failed.rowCount() == 1 and lib.failed.item(0, 0).text().endswith("broken.jpg")
    assert lib.failed.item(0, 1).text()  # the reason
    lib.folders.setCurrentRow(0)
    qtbot.mouseClick(lib.remove_button, Qt.MouseButton.LeftButton)
    assert lib.folders.count() == 0


def test_settings_and_window_state_are_remembered(qtbot, make_window, grouped_sample):
    from faceapp.gui.settings import load_settings
    from faceapp.gui.views.settings_dialog import SettingsDialog

    win = make_window(grouped_sample)
    dlg = SettingsDialog(win.ctx.settings, win)
    dlg.det_size.setValue(960)
    dlg.strictness.setValue(0.8)
    dlg.device.setCurrentText("cpu")
    dlg.accept()
    s = load_settings()
    assert (s.det_size, s.strictness, s.device) == (960, 0.8, "cpu")
    win.resize(win.width(), 733)  # the offscreen screen is 800×800; heights fit, widths get clamped
    win.close()
    again = make_window(grouped_sample)
    assert again.height() == 733


def test_screenshot_command_saves_a_png_per_view(tmp_path, grouped_sample):
    from faceapp.cli import main

    assert main(["gui", "--db", str(grouped_sample), "--screenshots", str(tmp_path / "shots")]) == 0
    shots = sorted((tmp_path / "shots").glob("*.png"))
    names = {p.stem.split("-", 1)[1] for p in shots}
    assert {"library", "people", "review", "verify", "improve-recognition", "export", "person"} <= names
    from PySide6.QtGui import QImage

    img = QImage(str(shots[1]))
    assert img.width() >= 800 and np.asarray(img.constBits()).std() > 0  # not a blank image


def test_export_tables_and_xmp_into_a_folder(qtbot, window, tmp_path, settle):
    view = window.show_view("Export")
    settle(window)
    person = max(services.list_people(window.ctx.db), key=lambda p: p.faces)
    services.rename(window.ctx.db, person.id, "Gina")  # XMP regions are for named people
    view.set_checked([person.id])
    for what in ("csv", "json", "xmp"):
        row = next(i for i in range(view.format.count())
                   if view.format.itemData(i)[0] == what and view.format.itemData(i)[2])
        view.format.setCurrentIndex(row)
        view.out_dir.setText(str(tmp_path / what))
        with qtbot.waitSignal(view.task_finished, timeout=30_000) as sig:
            qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
        assert sig.args[0] is not None, view.status.text()
    rows = json.loads((tmp_path / "json" / "faces.json").read_text())
    assert {r["person_id"] for r in rows} == {person.id} and len(rows) == person.faces
    assert (tmp_path / "csv" / "faces.csv").read_text().count("\n") == person.faces + 1
    sidecars = sorted((tmp_path / "xmp").rglob("*.xmp"))
    assert len(sidecars) == person.photos and "mwg-rs" in sidecars[0].read_text()
    assert view.status.text().startswith(f"XMP: {person.photos} written, 0 merged")

    # another tool's sidecar in the folder: the view reports it merged, like `faceapp export xmp`
    services.rename(window.ctx.db, person.id, "Georgina")
    sidecars[0].write_text('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
                           '22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
                           'xmp:Rating="4"/></rdf:RDF></x:xmpmeta>')
    with qtbot.waitSignal(view.task_finished, timeout=30_000) as sig:
        qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
    assert sig.args[0]["merged"] == 1 and sig.args[0]["written"] == person.photos - 1
    assert view.status.text().startswith(f"XMP: {person.photos - 1} written, 1 merged into other tools' sidecars "
                                         "(0 already up to date)"), view.status.text()
    assert 'xmp:Rating="4"' in sidecars[0].read_text() and "Georgina" in sidecars[0].read_text()


@pytest.mark.slow
def test_improve_with_the_real_trainer(qtbot, window, settle, tmp_path, celeba_dev):
    """Fine-tune one epoch on the CPU from an album folder (six CelebA people), through the view's
    child process (20 photos each): a model file, a before/after report and its ROC come back."""
    pytest.importorskip("torch")
    pytest.importorskip("onnx")
    celeba = celeba_dev
    albums = tmp_path / "albums"
    for person in sorted(celeba.iterdir())[:6]:
        (albums / person.name).mkdir(parents=True)
        for photo in sorted(person.glob("*.jpg"))[:20]:
            shutil.copy(photo, albums / person.name / photo.name)
    view = window.show_view("Improve recognition")
    view.source.setCurrentIndex(view.source.findData("folder"))
    view.epochs.setValue(1)
    view.device.setCurrentText("cpu")
    with qtbot.waitSignal(view.job_finished, timeout=300_000) as sig:
        view.start_training(str(albums))
    assert sig.args[0] == "train" and sig.args[1] is not None, view.status.text()
    report = sig.args[1]
    assert Path(report.model_path).is_file() and Path(report.roc_png).is_file()
    assert set(report.before) == set(report.after)
    # a model to switch to is offered only when training found a better one (issue 11, item 5)
    assert view.accept_button.isEnabled() is (not report.kept_base)
    assert view.roc.pixmap() is not None and not view.roc.pixmap().isNull()


def test_every_loss_the_trainer_offers_has_one_sentence():
    pytest.importorskip("torch")
    from trainer.losses import LOSSES

    assert set(services.LOSS_HELP) == set(LOSSES)
    assert all(text.endswith(".") and text.count(". ") == 0 for text in services.LOSS_HELP.values())


def test_cancelling_training_kills_the_child(qtbot, window, tmp_path):
    from faceapp.gui.background import train_job
    from faceapp.gui.workers import run_task

    task = run_task(train_job(window.ctx.path, str(tmp_path / "no-albums-yet"), "arcface", 1, "cpu", str(tmp_path)))
    task.cancel()
    with qtbot.waitSignal(task.failed, timeout=30_000) as sig:
        pass
    assert "cancelled" in sig.args[0]


def test_verify_a_library_face_against_a_photo_file(qtbot, window, settle):
    view = window.show_view("Verify")
    settle(window)
    face = view.models[0].face_at(0)
    view.select_face(0, 0)
    view.set_photo(1, face.path)  # the very photo that face came from
    with qtbot.waitSignal(view.verdict_shown, timeout=30_000) as sig:
        view.compare()
    assert sig.args[0] is not None


def test_xmp_for_unnamed_people_only_when_asked(qtbot, window, tmp_path, settle):
    view = window.show_view("Export")
    settle(window)
    person = next(p for p in services.list_people(window.ctx.db) if not p.name)
    view.set_checked([person.id])
    row = next(i for i in range(view.format.count()) if view.format.itemData(i)[0] == "xmp" and view.format.itemData(i)[2])
    view.format.setCurrentIndex(row)
    view.out_dir.setText(str(tmp_path / "xmp"))
    for ask in (False, True):
        view.unnamed.setChecked(ask)
        with qtbot.waitSignal(view.task_finished, timeout=30_000):
            qtbot.mouseClick(view.export_button, Qt.MouseButton.LeftButton)
        sidecars = sorted((tmp_path / "xmp").rglob("*.xmp"))
        if not ask:
            assert sidecars == [] and "1 unnamed people got no regions" in view.status.text()
        else:
            assert len(sidecars) == person.photos and f"Person {person.id}" in sidecars[0].read_text()
            assert "unnamed people got no regions" not in view.status.text()
