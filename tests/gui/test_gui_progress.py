"""The GUI's one way to show a long job: a Progress on a bar and a label; throttling keeps stages."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar

from faceapp.gui.progress_text import ProgressLine
from faceapp.gui.progress_view import ProgressView
from faceapp.gui.workers import Token
from faceapp.progress import Progress


def test_the_bar_and_label_show_a_progress(qtbot):
    bar, label = QProgressBar(), QLabel()
    view = ProgressView(bar, label)
    view.show(Progress("scanning", 3, 10, "4 faces · 0 failed"))
    assert (bar.value(), bar.maximum()) == (3, 10)
    assert "Scanning photos: 3 / 10" in label.text() and "4 faces · 0 failed" in label.text()
    view.show(Progress("clustering", 2, 7, "finding look-alikes"))
    assert (bar.value(), bar.maximum()) == (2, 7)
    assert label.text() == "Grouping faces into people… (finding look-alikes)"
    view.show(Progress("reading XMP"))  # no total yet: a busy bar, the stage in words
    assert bar.maximum() == 0 and label.text() == "Reading XMP…"


def test_the_label_says_rate_and_time_left_within_a_stage():
    t = [0.0]
    line = ProgressLine(clock=lambda: t[0])
    line(Progress("scanning", 0, 100))
    t[0] = 10.0
    text = line(Progress("scanning", 20, 100, "30 faces · 1 failed"))
    assert "2.0 photos/s" in text and "ETA 40 s" in text
    t[0] = 11.0
    assert "photos/s" not in line(Progress("embedding", 1, 50))  # a new stage starts its own clock


def test_throttled_progress_keeps_stage_changes_and_the_last_unit():
    out: list[Progress] = []
    token = Token(out.append, min_interval=10.0)
    for i in range(1, 1001):
        token.progress(Progress("scanning", i, 1000))
    token.progress(Progress("clustering", 0, 7, "reading faces"))
    token.progress(Progress("clustering", 1, 7, "finding look-alikes"))
    assert [(p.stage, p.done) for p in out] == [("scanning", 1), ("scanning", 1000), ("clustering", 0), ("clustering", 1)]


def test_regrouping_shows_each_step_in_the_people_view(qtbot, window, monkeypatch):
    """In the window itself: the label under the people says which step the re-grouping is at."""
    import threading

    import faceapp.jobs.recluster as rc

    go = threading.Event()
    real = rc.cluster

    def held_at_linking(x, params, cons, step):  # noqa: ANN001
        def at(name: str) -> None:
            step(name)
            if name == "linking":
                go.wait(20)

        return real(x, params, cons, at)

    monkeypatch.setattr(rc, "cluster", held_at_linking)
    view = window.show_view("People")
    task = view.regroup()
    try:
        qtbot.waitUntil(lambda: view.summary.text() == "Grouping faces into people… (linking faces)", timeout=20_000)
    finally:
        go.set()
    qtbot.waitUntil(lambda: task.isFinished(), timeout=20_000)
