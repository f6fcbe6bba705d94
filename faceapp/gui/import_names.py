"""File → Import face names from other tools: the names digiKam, Lightroom or exiftool left in XMP
(sidecars and the photos themselves) become confirmed faces (faceapp.jobs.xmp_import).

First a dry run in the background tells the user what would happen (how many names, new people,
conflicts with decisions made in faceapp, which are never overridden); only on "Import" is anything
written, as one step that Edit → Undo reverts. Then the people are re-grouped, so each imported
person gathers their other faces round the confirmed ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from faceapp.gui.workers import Task, Token, run_task
from faceapp.progress import Progress
from faceapp.storage.db import open_library


def import_job(db_path: Path, dry_run: bool) -> Callable[[Token], object]:
    def run(token: Token) -> object:
        from faceapp.jobs.xmp_import import import_xmp

        db = open_library(db_path)
        try:
            token.progress(Progress("reading XMP"))
            return import_xmp(db, dry_run=dry_run)
        finally:
            db.conn.close()

    return run


class ImportNames:
    """One import, from the dry run to the re-group; `done(result)` when it ends (None: nothing written)."""

    def __init__(self, window: QWidget, ask: Callable[[str], bool] | None = None) -> None:
        self.window = window
        self.ctx = window.ctx  # type: ignore[attr-defined]
        self.ask = ask or self._ask
        self.task: Task | None = None
        self.result = None

    def start(self) -> Task | None:
        if self.ctx.busy:
            self.ctx.say(f"Wait for the running {', '.join(sorted(self.ctx.busy))} to finish first.")
            return None
        self.ctx.busy.add("import")
        self.ctx.say("Reading face names from XMP…")
        self.task = run_task(import_job(self.ctx.path, True), name="import-dry", on_done=self._previewed,
                             on_error=self._failed)
        return self.task

    def _previewed(self, res) -> None:  # noqa: ANN001 (ImportResult)
        if not res.confirmed:  # nothing new: no names, or only ones faceapp already has or must refuse
            self._finish(None, "No new face names to import. " + " ".join(res.lines()[:2]))
            return
        if not self.ask("\n".join(res.lines()) + "\n\nImport these names? Decisions you made in faceapp are kept."):
            self._finish(None, "Import cancelled: nothing was written.")
            return
        self.task = run_task(import_job(self.ctx.path, False), name="import", on_done=self._imported,
                             on_error=self._failed)

    def _imported(self, res) -> None:  # noqa: ANN001
        self.result = res
        self.ctx.notify("people")
        self._finish(res, f"Imported {res.confirmed} names ({len(res.new_people)} new people); re-grouping…")
        regroup = getattr(getattr(self.window, "people", None), "regroup", None)
        if res.confirmed and regroup is not None:
            regroup()

    def _failed(self, text: str) -> None:
        self._finish(None, f"Import failed: {text}")

    def _finish(self, res, text: str) -> None:  # noqa: ANN001
        self.ctx.busy.discard("import")
        self.task = None
        self.ctx.say(text)

    def _ask(self, text: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, "Import face names", text,
                          QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, self.window)
        box.button(QMessageBox.StandardButton.Ok).setText("Import")
        return box.exec() == QMessageBox.StandardButton.Ok
