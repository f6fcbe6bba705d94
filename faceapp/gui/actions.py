"""User actions (name, merge, confirm, reject, undo…) run one after another on a thread of their
own, with their own connection: on a library of 100,000 faces one such write takes 100–150 ms,
too long to hold the window. The order the user acted in is the order they are written."""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from faceapp.gui.qtcompat import emit
from faceapp.storage.db import open_library
from faceapp.storage.tx import LibraryBusy

Done = Callable[[Any], None] | None


class ActionQueue(QObject):
    """submit(fn, *args, then=callback): fn(db, *args) on the action thread; `finished(error)` and
    then(result) arrive on the GUI thread. A refused action (ValueError) reports its message."""

    finished = Signal(object)  # None, or the error text to show the user
    _done = Signal(object, object, object)  # (callback, result, error) from the action thread

    def __init__(self, db_path: Path) -> None:
        super().__init__()
        self.pending = 0
        self._queue: queue.Queue = queue.Queue()
        self._done.connect(self._deliver)
        self._thread = threading.Thread(target=self._run, args=(db_path,), name="faceapp-actions", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any, then: Done = None) -> None:
        self.pending += 1
        self._queue.put((fn, args, then))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(30)

    def _run(self, db_path: Path) -> None:  # action thread
        db = open_library(db_path)
        try:
            while (item := self._queue.get()) is not None:
                fn, args, then = item
                result, error = None, None
                try:
                    result = fn(db, *args)
                except (ValueError, LibraryBusy) as exc:  # refused, or the library stayed busy: nothing written
                    error = str(exc)
                except Exception as exc:  # shown, never fatal
                    traceback.print_exc()
                    error = f"{type(exc).__name__}: {exc}"
                emit(self._done, then, result, error)
        finally:
            db.conn.close()

    @Slot(object, object, object)
    def _deliver(self, then: Done, result: Any, error: str | None) -> None:
        self.pending -= 1
        if error is None and then is not None:
            then(result)
        emit(self.finished, error)
