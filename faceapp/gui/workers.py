"""Background work: a QThread per long job, with progress, pause and cancel.

The job is a plain callable `fn(token)` that knows nothing of Qt; it hands `token.progress` and
`token.should_stop` to the library functions as their `progress` and `stop` (faceapp.progress). Signals carry plain Python objects (and QImage, never QPixmap) back to the
GUI thread, where slots run queued, so the GUI thread never waits on the job.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from faceapp.gui.qtcompat import emit
from faceapp.progress import Progress


class Token:
    """What a job sees of its controller: throttled progress, pause and cancel."""

    def __init__(self, emit: Callable[[object], None], min_interval: float = 0.05) -> None:
        self._emit = emit
        self._min_interval = min_interval
        self._last = 0.0
        self.cancelled = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._shown: Progress | None = None

    def progress(self, p: Progress) -> None:
        """The ProgressFn a job gets. Throttled like `report`, except what must not be lost: a new
        stage, the last unit, and each step of a job with few (a re-cluster's seven)."""
        last = self._shown
        force = (last is None or p.stage != last.stage or p.done >= p.total
                 or (p.total <= 100 and p.done != last.done))
        self._shown = p
        self.report(p, force=force)

    def report(self, obj: object, force: bool = False) -> None:
        """Emit at most every min_interval seconds, so a fast job cannot flood the GUI thread."""
        t = time.monotonic()
        if force or t - self._last >= self._min_interval:
            self._last = t
            self._emit(obj)

    def should_stop(self) -> bool:
        """Blocks while paused; True once cancelled."""
        while not self._running.wait(0.1):
            if self.cancelled.is_set():
                break
        return self.cancelled.is_set()

    def cancel(self) -> None:
        self.cancelled.set()
        self._running.set()

    def pause(self, paused: bool) -> None:
        if paused:
            self._running.clear()
        else:
            self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()


_LIVE: set[Task] = set()  # running tasks are kept alive here until they finish


class Task(QThread):
    """Runs fn(token) off the GUI thread; emits progressed(obj), succeeded(result) or failed(text)."""

    progressed = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)
    # Emitted in the worker thread; the Task lives in the GUI thread, so these arrive queued and are
    # re-emitted there: a plain Python callable connected to the public signals runs on the GUI thread.
    _raw_progress = Signal(object)
    _raw_done = Signal(object)
    _raw_failed = Signal(str)

    def __init__(self, fn: Callable[[Token], Any], name: str = "task", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._fn = fn
        self.token = Token(partial(emit, self._raw_progress))
        self.result: Any = None
        self.error: str | None = None
        self._raw_progress.connect(self._relay_progress)
        self._raw_done.connect(self._relay_done)
        self._raw_failed.connect(self._relay_failed)
        self.finished.connect(self._forget)

    def run(self) -> None:  # worker thread
        try:
            self.result = self._fn(self.token)
        except Exception as exc:  # a failed job is shown to the user, never crashes the app
            self.error = f"{type(exc).__name__}: {exc}"
            traceback.print_exc()
            emit(self._raw_failed, self.error)
        else:
            emit(self._raw_done, self.result)

    @Slot(object)
    def _relay_progress(self, obj: object) -> None:
        emit(self.progressed, obj)

    @Slot(object)
    def _relay_done(self, result: object) -> None:
        emit(self.succeeded, result)

    @Slot(str)
    def _relay_failed(self, text: str) -> None:
        emit(self.failed, text)

    @Slot()
    def _forget(self) -> None:
        # `finished` is sent just before the thread ends: let it end before the last reference goes.
        self.wait()
        _LIVE.discard(self)

    def begin(self) -> Task:
        _LIVE.add(self)
        self.start()
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def pause(self, paused: bool) -> None:
        self.token.pause(paused)


def run_task(
    fn: Callable[[Token], Any],
    *,
    name: str = "task",
    on_progress: Callable[[object], None] | None = None,
    on_done: Callable[[object], None] | None = None,
    on_error: Callable[[str], None] | None = None,
) -> Task:
    """Start fn in its own thread with the given GUI-thread callbacks."""
    task = Task(fn, name)
    if on_progress:
        task.progressed.connect(on_progress)
    if on_done:
        task.succeeded.connect(on_done)
    if on_error:
        task.failed.connect(on_error)
    return task.begin()


def cancel_all(wait_ms: int = 10000) -> None:
    """Stop every running task (on quit), waiting for each to finish its current step."""
    for task in list(_LIVE):
        task.cancel()
    for task in list(_LIVE):
        task.wait(wait_ms)
