"""Workers: results and progress reach the GUI thread; pause holds a job; cancel stops it."""

from __future__ import annotations

import threading
import time

from faceapp.gui.workers import Token, run_task


def test_result_and_progress_arrive_on_the_gui_thread(qtbot):
    gui_thread = threading.get_ident()
    seen: list[tuple[object, int]] = []

    def job(token: Token) -> int:
        for i in range(3):
            token.report(i, force=True)
        return threading.get_ident()

    task = run_task(job, on_progress=lambda p: seen.append((p, threading.get_ident())))
    with qtbot.waitSignal(task.succeeded, timeout=5000) as sig:
        pass
    assert sig.args[0] != gui_thread  # the job ran elsewhere
    qtbot.waitUntil(lambda: len(seen) == 3)
    assert [p for p, _ in seen] == [0, 1, 2] and {t for _, t in seen} == {gui_thread}


def test_pause_holds_and_cancel_stops(qtbot):
    steps = []

    def job(token: Token) -> int:
        while not token.should_stop():
            steps.append(1)
            time.sleep(0.005)
        return len(steps)

    task = run_task(job)
    qtbot.waitUntil(lambda: len(steps) > 3, timeout=5000)
    task.pause(True)
    qtbot.wait(100)
    held = len(steps)
    qtbot.wait(150)
    assert len(steps) - held <= 1  # at most the step in hand
    with qtbot.waitSignal(task.succeeded, timeout=5000):
        task.cancel()  # cancelling a paused job ends it too
    assert task.token.cancelled.is_set()


def test_a_failing_job_reports_instead_of_crashing(qtbot):
    task = run_task(lambda _t: 1 / 0)
    with qtbot.waitSignal(task.failed, timeout=5000) as sig:
        pass
    assert "ZeroDivisionError" in sig.args[0]


def test_progress_is_throttled():
    out: list[int] = []
    token = Token(out.append, min_interval=10.0)
    for i in range(1000):
        token.report(i)
    assert out == [0]


def test_loader_applies_only_the_newest_result(qtbot, file_db, tmp_path):
    from faceapp.gui.loader import Loader
    from faceapp.storage.db import LibraryPool

    applied: list[str] = []
    loader = Loader(LibraryPool(tmp_path / "library.db"))

    def slow(db) -> str:
        time.sleep(0.3)
        return "old"

    loader.load(slow, applied.append)
    loader.load(lambda db: "new", applied.append)
    qtbot.waitUntil(lambda: not loader.busy, timeout=5000)
    assert applied == ["new"]


def test_loader_reads_on_long_lived_connections(qtbot, file_db, tmp_path):
    """Background reads borrow the pool's connections: ten reads in a row open one connection, not ten."""
    from faceapp.gui.loader import Loader
    from faceapp.storage.db import LibraryPool

    pool = LibraryPool(tmp_path / "library.db")
    loader = Loader(pool)
    seen: list[int] = []
    for _ in range(10):
        loader.load(lambda db: id(db.conn), seen.append)
        qtbot.waitUntil(lambda: not loader.busy, timeout=5000)
    assert len(set(seen)) == 1 and pool.opened == 1
    pool.close()
    assert pool.opened == 0
