"""The open library as the GUI sees it: a GUI-thread connection for quick reads (counts, folders,
two stored embeddings), an action thread for the user's decisions, background loaders for the
slow reads, and a connection of their own for every worker (sqlite WAL, one writer at a time)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from sqlite_utils import Database

from faceapp.gui.actions import ActionQueue
from faceapp.gui.loader import Loader
from faceapp.gui.other_writers import OtherWriters
from faceapp.gui.qtcompat import emit
from faceapp.gui.settings import AppSettings
from faceapp.storage.db import LibraryPool, open_library


class _SayWarnings(logging.Handler):
    def __init__(self, ctx: LibraryContext) -> None:
        super().__init__(logging.WARNING)
        self.ctx = ctx

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.ctx.say(record.getMessage())
        except RuntimeError:  # the window went away meanwhile
            pass


class LibraryContext(QObject):
    """Shared by every view; `changed(topic)` tells views to refresh ("photos", "people", "models")."""

    changed = Signal(str)
    message = Signal(str)  # a refusal or failure to show the user (status bar)

    def __init__(self, path: str | Path, settings: AppSettings | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.settings = settings or AppSettings(db_path=str(path))
        self.db: Database = open_library(self.path)
        self.pool = LibraryPool(self.path)  # the background readers' long-lived connections
        self.busy: set[str] = set()  # names of running background jobs, e.g. "scan", "train"
        self.loaders: list[Loader] = []
        self.actions = ActionQueue(self.path)
        self.actions.finished.connect(self._action_finished)
        # faceapp's warnings (a model file gone and the bundled one used instead, …) reach the window,
        # not only stderr; from any thread, through the queued `message` signal.
        self._warnings = _SayWarnings(self)
        logging.getLogger("faceapp").addHandler(self._warnings)
        self.other_writers = OtherWriters(self)  # the CLI or another window wrote: views refresh

    def loader(self, name: str) -> Loader:
        """A background reader for one view (see faceapp.gui.loader)."""
        loader = Loader(self.pool, name)
        self.loaders.append(loader)
        return loader

    def _action_finished(self, error: str | None) -> None:
        if error:
            self.say(error)

    def reading(self) -> bool:
        """True while an action is unwritten or any view is still loading (tests wait on this)."""
        return self.actions.pending > 0 or any(loader.busy for loader in self.loaders)

    def notify(self, topic: str, own: bool = True) -> None:
        if own:
            self.other_writers.own_write_heard()
        emit(self.changed, topic)

    def say(self, text: str) -> None:
        emit(self.message, text)

    def act(self, fn: Callable[..., Any], *args: Any, topic: str = "people",
            then: Callable[[Any], None] | None = None, tell: bool = True) -> None:
        """One user action, queued behind the earlier ones (see faceapp.gui.actions). When it is
        written every view hears `changed(topic)`; a refused action (the people rules raise
        ValueError, e.g. two faces of one photo in one person) is shown in the status bar. With
        `tell`, the status bar then says what the action did, with the way to undo it."""
        from faceapp.gui.services.feedback import told

        def finished(outcome: Any) -> None:
            result, words = outcome if tell else (outcome, None)
            if then is not None:
                then(result)
            if words:
                self.say(words)
            if topic:
                self.notify(topic)

        self.actions.submit(told(fn) if tell else fn, *args, then=finished)

    def close(self) -> None:
        self.other_writers.stop()
        logging.getLogger("faceapp").removeHandler(self._warnings)
        self.actions.close()
        self.pool.close()
        self.db.conn.close()
