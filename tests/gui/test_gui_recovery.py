"""A damaged library (at start or from Open recent) offers its newest good backup; never a windowless app."""

from __future__ import annotations

import sqlite3

from faceapp.storage.backup import backup_library
from faceapp.storage.db import open_library


def _damaged_with_backup(path):
    db = open_library(path)
    db.execute("INSERT INTO persons (id, name) VALUES (1, 'Grandma')")
    good = backup_library(db, path, reason="test")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    with open(path, "r+b") as f:  # first page overwritten, as seen in the field ("file is not a database")
        f.write(b"\0" * 100)
    return good


def test_open_recent_on_a_damaged_library_restores_its_backup(window, tmp_path, qtbot, settle):
    lib = tmp_path / "damaged.db"
    _damaged_with_backup(lib)
    asked: list[str] = []
    from faceapp.gui.library_switch import switch_library

    new = switch_library(window, lib, ask=lambda text: asked.append(text) or True, tell=asked.append)
    assert new is not None, window.statusBar().currentMessage()
    qtbot.addWidget(new)
    settle(new)
    assert asked and "newest good backup" in asked[0]
    assert [r[0] for r in new.ctx.db.execute("SELECT name FROM persons")] == ["Grandma"]
    conn = sqlite3.connect(lib)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    new.close()


def test_declining_the_backup_keeps_the_open_window(window, tmp_path):
    from faceapp.gui.library_switch import switch_library

    lib = tmp_path / "damaged.db"
    _damaged_with_backup(lib)
    assert switch_library(window, lib, ask=lambda text: False, tell=lambda text: None) is None
    assert window.isVisible()
    assert "damaged" in window.statusBar().currentMessage()


def test_app_start_on_a_damaged_library_without_backup_says_so(tmp_path, qtbot):
    from faceapp.gui.app import open_window

    lib = tmp_path / "damaged.db"
    db = open_library(lib)
    db.conn.close()
    with open(lib, "r+b") as f:
        f.write(b"\0" * 100)
    told: list[str] = []
    assert open_window(lib, ask=lambda text: True, tell=told.append) is None
    assert told and "No good backup" in told[0]
