"""A model file that went away is said in the window, not only on stderr (issue 10: the active
model's folder moved away; faceapp falls back to the bundled model and goes on)."""

from __future__ import annotations

import shutil

from PySide6.QtCore import Qt
from stand_in_model import stand_in  # tests/ is on sys.path: it holds conftest.py

from faceapp.jobs.reembed import switch_model
from faceapp.storage.db import open_library


def test_a_missing_model_file_is_said_in_the_window(qtbot, make_window, grouped_sample, settle, tmp_path):
    trained = stand_in(tmp_path / "run" / "model.onnx", "sface-trained")
    db = open_library(grouped_sample)
    switch_model(db, trained, device="cpu")
    db.conn.close()
    shutil.rmtree(trained.parent)  # the training folder moved away…
    shutil.rmtree(grouped_sample.parent / "models")  # …and the library's own copy is gone too

    win = make_window(grouped_sample)
    settle(win)
    people = win.show_view("People")
    with qtbot.waitSignal(win.ctx.message, timeout=60_000,
                          check_params_cb=lambda text: "sface-trained" in text and "bundled" in text):
        qtbot.mouseClick(people.regroup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: people.regroup_button.isEnabled(), timeout=60_000)
    assert people.model.rowCount() > 0  # and the re-group went on, on the bundled model
