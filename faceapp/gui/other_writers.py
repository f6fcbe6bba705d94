"""Hearing the library change under the window: another process (the CLI, a second window, a
training child) wrote to it.

SQLite's `PRAGMA data_version` on the window's own read connection moves whenever any other
connection commits. A cheap timer reads it; when it moved while the window itself was not writing
(no action queued, no background job of its own running), every view hears `changed` for people,
photos and models (`faceapp models use` or a training run switches the model), as after one of its
own actions. The window's own writes are heard through their own
`notify`, which takes the version then as the new baseline, so they are never heard twice.
"""

from __future__ import annotations

import sqlite3

from PySide6.QtCore import QObject, QTimer

from faceapp.storage.people import others_wrote

POLL_MS = 1500


class OtherWriters(QObject):
    def __init__(self, ctx, interval_ms: int = POLL_MS) -> None:  # noqa: ANN001 (LibraryContext; import cycle)
        super().__init__(ctx)
        self.ctx = ctx
        self.seen = self._version()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def _version(self) -> int | None:
        try:
            return others_wrote(self.ctx.db)
        except sqlite3.Error:  # busy or closing: look again next time
            return None

    def own_write_heard(self) -> None:
        """The window's own write was just announced: take the version now as seen."""
        self.seen = self._version()

    def poll(self) -> None:
        version = self._version()
        if version is None or version == self.seen:
            return
        self.seen = version
        if self.ctx.actions.pending or self.ctx.busy:  # our own writes: they announce themselves
            return
        for topic in ("people", "photos", "models"):
            self.ctx.notify(topic, own=False)

    def stop(self) -> None:
        self.timer.stop()
