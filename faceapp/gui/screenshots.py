"""Save a PNG of each main view, so every change to the GUI can be looked at (offscreen works)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from faceapp import paths
from faceapp.gui.app import application, open_window


def settle(seconds: float = 0.5, ctx=None, limit: float = 60.0) -> None:  # noqa: ANN001
    """Let background reads finish, queued signals (thumbnails, results) arrive and widgets repaint."""
    end = time.monotonic() + seconds
    give_up = time.monotonic() + limit
    while time.monotonic() < end or (ctx is not None and ctx.reading() and time.monotonic() < give_up):
        QApplication.processEvents()
        time.sleep(0.01)


def sample_library(folder: Path) -> Path:
    """The bundled sample album scanned and grouped into a fresh library (a few seconds)."""
    from faceapp.gui import services
    from faceapp.jobs.scan import Scanner
    from faceapp.storage.db import open_library
    from faceapp.storage.roots import add_root

    path = folder / "sample.db"
    db = open_library(path)
    add_root(db, paths.SAMPLE_ALBUM)
    Scanner(db).scan([paths.SAMPLE_ALBUM])
    services.recluster(db)
    people = services.list_people(db)
    if people:  # the sample album's biggest person is George Clooney: name him, as a user would
        services.rename(db, people[0].id, "George Clooney")
    db.conn.close()
    return path


def save_screenshots(out_dir: str | Path, db_path: str | Path | None = None) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    application()
    tmp = None
    if db_path is None:
        tmp = tempfile.TemporaryDirectory(prefix="faceapp-shots-")
        db_path = sample_library(Path(tmp.name))
    win = open_window(db_path)
    win.resize(1280, 820)
    win.show()
    saved: list[Path] = []

    def shot(name: str, widget=None) -> None:  # noqa: ANN001
        settle(0.5, win.ctx)
        settle(0.3)  # thumbnails asked for by the last paint
        p = out / f"{len(saved) + 1:02d}-{name}.png"
        (widget or win).grab().save(str(p))
        saved.append(p)

    settle(0.2, win.ctx)
    for title in list(win.pages):
        view = win.show_view(title)
        settle(0.2, win.ctx)
        if title == "Verify" and view.models[0].rowCount() > 1:
            view.select_face(0, 7)
            view.select_face(1, 9)
            view.compare()
        if title == "Improve recognition":  # the GPU probe runs in a child process: wait for its answer
            end = time.monotonic() + 60
            while view.gpu.text().startswith("Looking") and time.monotonic() < end:
                settle(0.1)
        shot(title.lower().replace(" ", "-"))
    people = win.people.model
    if people.rowCount():
        view = win.open_person(people.person_at(0).id)
        shot("person")
        view.grid.selectAll()
        settle(0.2, win.ctx)
        dlg = win.open_photo(view.model.face_at(0).photo_id, view.model.face_at(0).path)
        settle(1.0)
        shot("photo", dlg)
        dlg.close()
        win.open_unsorted()
        shot("unsorted")
    win.close()
    if tmp is not None:
        tmp.cleanup()
    return saved
