"""Reads that can be slow on a big library (people lists, review queue, every face) run in a
worker, on a connection the library's pool lends; the view applies the newest result when it arrives.

A newer request supersedes an older one: a result that arrives after a later request started is
dropped, so quick successive changes never paint stale data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from faceapp.gui.qtcompat import emit
from faceapp.gui.workers import Task, Token
from faceapp.storage.db import LibraryPool


def read_job(pool: LibraryPool, fn: Callable[..., Any]) -> Callable[[Token], Any]:
    """fn(db) on one of the pool's long-lived connections (never a connection per read)."""

    def run(_token: Token) -> Any:
        with pool.connection() as db:
            return fn(db)

    return run


class Loader(QObject):
    """`load(fn, apply)`: fn(db) in a worker, then apply(result) on the GUI thread."""

    idle = Signal()
    failed = Signal(str)

    def __init__(self, pool: LibraryPool, name: str = "read") -> None:
        super().__init__()
        self.pool = pool
        self.name = name
        self._generation = 0
        self._running: set[Task] = set()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def load(self, fn: Callable[..., Any], apply: Callable[[Any], None]) -> Task:
        self._generation += 1
        generation = self._generation
        task = Task(read_job(self.pool, fn), self.name)

        # Both arrive on the GUI thread (Task relays them there).
        def done(result: Any) -> None:
            self._running.discard(task)
            if generation == self._generation:
                apply(result)
            self._maybe_idle()

        def fail(text: str) -> None:
            self._running.discard(task)
            emit(self.failed, text)
            self._maybe_idle()

        task.succeeded.connect(done)
        task.failed.connect(fail)
        self._running.add(task)
        return task.begin()

    def _maybe_idle(self) -> None:
        if not self._running:
            emit(self.idle)
